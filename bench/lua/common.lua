-- Shared by the workloads: bearer auth, JSON bodies, and the IDs the benchmark seeds.
-- Script arguments (after `--` on wrk's command line) point the workloads at another server:
--   1: the collection path (default /api/v1/llm/prompts; json-server: /prompts)
--   2: the list query (default limit=20; json-server: _page=1&_per_page=20)
--   3: the update method (default PUT; json-server: PATCH, as its PUT replaces the whole item)
wrk.headers["Authorization"] = "Bearer bench"
wrk.headers["Content-Type"] = "application/json"
seeded = 1000
prefix, list_query, update_method = "/api/v1/llm/prompts", "limit=20", "PUT"
function init(args)
  prefix = args[1] or prefix
  list_query = args[2] or list_query
  update_method = args[3] or update_method
end
function prompt_id(i) return string.format("prompt_%032x", i) end
template = '{"name": "bench", "template": "' .. string.rep("Hello {{name}}! ", 64) .. '"}'

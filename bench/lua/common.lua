-- Shared by the workloads: bearer auth, JSON bodies, and the IDs the benchmark seeds.
wrk.headers["Authorization"] = "Bearer bench"
wrk.headers["Content-Type"] = "application/json"
seeded = 1000
function prompt_id(i) return string.format("prompt_%032x", i) end
template = '{"name": "bench", "template": "' .. string.rep("Hello {{name}}! ", 64) .. '"}'

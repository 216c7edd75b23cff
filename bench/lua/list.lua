dofile("bench/lua/common.lua")
request = function() return wrk.format("GET", "/api/v1/llm/prompts?limit=20") end

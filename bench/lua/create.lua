dofile("bench/lua/common.lua")
request = function() return wrk.format("POST", "/api/v1/llm/prompts", nil, template) end

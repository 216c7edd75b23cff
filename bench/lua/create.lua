dofile("bench/lua/common.lua")
request = function() return wrk.format("POST", prefix, nil, template) end

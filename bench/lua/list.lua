dofile("bench/lua/common.lua")
request = function() return wrk.format("GET", prefix .. "?" .. list_query) end

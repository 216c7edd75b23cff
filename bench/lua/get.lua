dofile("bench/lua/common.lua")
request = function()
  return wrk.format("GET", prefix .. "/" .. prompt_id(math.random(seeded)))
end

-- 70% reads (getPrompt), 20% creates (1 KB template), 10% updates (a new name).
dofile("bench/lua/common.lua")
request = function()
  local roll = math.random(100)
  if roll <= 70 then
    return wrk.format("GET", prefix .. "/" .. prompt_id(math.random(seeded)))
  elseif roll <= 90 then
    return wrk.format("POST", prefix, nil, template)
  end
  local body = '{"name": "renamed ' .. roll .. '"}'
  return wrk.format(update_method, prefix .. "/" .. prompt_id(math.random(seeded)), nil, body)
end

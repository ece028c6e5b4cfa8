--[[
  route: records the domain chosen for tasks routed by the hardware they require, so that their records
  name it. Only for an attempt still current and `queued` while the run is `running`; anything else is
  left as it is.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: per task: taskId attempt domain
  Reply: how many tasks it marked
]]
local meta, status, attempt, info = KEYS[1], KEYS[6], KEYS[7], KEYS[9]

if redis.call('HGET', meta, 'status') ~= 'running' then return 0 end
local marked = 0
for i = 1, #ARGV, 3 do
  local task = ARGV[i]
  if redis.call('HGET', status, task) == 'queued' and redis.call('HGET', attempt, task) == ARGV[i + 1] then
    redis.call('HSET', info, task .. '|domain', ARGV[i + 2])
    marked = marked + 1
  end
end
return marked

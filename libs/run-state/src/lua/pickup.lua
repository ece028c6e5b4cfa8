--[[
  pickup: a runner reports that it started tasks of this run. Each `queued` task whose current attempt
  is the one started becomes `running` on that runner, with its real start time; a task already
  `running` moves to the runner that reports it (it took the attempt over after the first runner's
  lease lapsed). The runner's hardware is stored once per run. A stale attempt or a settled task is
  left as it is.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: runnerId hardwareJson ('' when unknown), then per task: taskId attempt startedAt
  Reply: per task, 1 when it is now running on this runner, else 0
]]
local meta, status, attempt, info, runners = KEYS[1], KEYS[6], KEYS[7], KEYS[9], KEYS[11]
local runnerId, hardware = ARGV[1], ARGV[2]

local out = {}
if redis.call('HGET', meta, 'status') ~= 'running' then
  for i = 3, #ARGV, 3 do out[#out + 1] = 0 end
  return out
end
local started = false
for i = 3, #ARGV, 3 do
  local task, n, at = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local current = redis.call('HGET', status, task)
  if (current == 'queued' or current == 'running') and redis.call('HGET', attempt, task) == n then
    if current == 'queued' then
      redis.call('HSET', status, task, 'running')
      redis.call('HINCRBY', meta, 'n:queued', -1)
      redis.call('HINCRBY', meta, 'n:running', 1)
    end
    redis.call('HSET', info, task .. '|startedAt', at, task .. '|runnerId', runnerId)
    started = true
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if started and hardware ~= '' then redis.call('HSETNX', runners, runnerId, hardware) end
return out

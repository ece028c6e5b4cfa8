-- move(task, from, to): sets a task's status and keeps the run's n:<status> counts in meta.
-- Needs locals `meta` and `status` (the run's keys).
local function move(task, from, to)
  redis.call('HSET', status, task, to)
  redis.call('HINCRBY', meta, 'n:' .. from, -1)
  redis.call('HINCRBY', meta, 'n:' .. to, 1)
end

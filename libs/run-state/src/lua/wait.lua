--[[
  wait: marks attempts that found no live runner for their domain as waiting since `now`, once. The first
  supervisor to find none starts the wait; later checks, by any supervisor, read when it started, so the
  dispatch deadline runs from there and the attempt is counted `missing` once. Only for an attempt that is the
  task's current one and `queued` while the run runs; a retry's next attempt waits afresh (settle clears it).

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: now, then per attempt: taskId attempt
  Reply: per attempt: since (when its wait started; 0 when the attempt is no longer waiting to be published),
         started (1 when this call started the wait)
]]
local meta, status, attempt, info = KEYS[1], KEYS[6], KEYS[7], KEYS[9]
local now = ARGV[1]

local running = redis.call('HGET', meta, 'status') == 'running'
local reply = {}
for i = 2, #ARGV, 2 do
  local task, n = ARGV[i], tonumber(ARGV[i + 1])
  local since, started = 0, 0
  if running and redis.call('HGET', status, task) == 'queued'
      and tonumber(redis.call('HGET', attempt, task) or '0') == n then
    if redis.call('HSETNX', info, task .. '|waitingSince', now) == 1 then started = 1 end
    since = tonumber(redis.call('HGET', info, task .. '|waitingSince'))
  end
  reply[#reply + 1] = since
  reply[#reply + 1] = started
end
return reply

--[[
  abandon: ends the part of a run that no supervisor could carry through: its submission went past the
  delivery limit (every attempt to process it failed). Every task not started yet (`pending` or `queued`)
  fails with `error`; a `running` task is left to its runner, whose ack still settles it. The run's error
  is set once. When no task is left running, the run ends `failed` and all its keys expire after ttlMs
  (a run that was still `queued` ends at once). A run that already ended is left as it is.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: now ttlMs error
  Reply: {outcome, runStatus, workflow, submittedAt, runError, n, n × taskId (the tasks it failed)}
         outcome: ended (the run ended now) | abandoned (tasks failed, some still running) | unchanged | missing
]]
local meta, status, info = KEYS[1], KEYS[6], KEYS[9]
local now, ttl, err = ARGV[1], ARGV[2], ARGV[3]

-- @include move

local runStatus = redis.call('HGET', meta, 'status')
if not runStatus then return {'missing', '', '', 0, '', 0} end
local failed = {}
if runStatus == 'queued' or runStatus == 'running' then
  local all = redis.call('HGETALL', status)
  for i = 1, #all, 2 do
    local task, current = all[i], all[i + 1]
    if current == 'pending' or current == 'queued' then
      move(task, current, 'failed')
      redis.call('HSET', info, task .. '|finishedAt', now, task .. '|error', err)
      failed[#failed + 1] = task
    end
  end
  if #failed > 0 then
    redis.call('HINCRBY', meta, 'done', #failed)
    redis.call('HINCRBY', meta, 'failed', #failed)
    redis.call('HSETNX', meta, 'error', err)
  end
end
local outcome = #failed > 0 and 'abandoned' or 'unchanged'
if (runStatus == 'queued' or runStatus == 'running')
    and tonumber(redis.call('HGET', meta, 'done')) >= tonumber(redis.call('HGET', meta, 'total')) then
  outcome, runStatus = 'ended', 'failed'
  redis.call('HSETNX', meta, 'error', err)
  redis.call('HSET', meta, 'status', 'failed', 'finishedAt', now)
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
end
local m = redis.call('HMGET', meta, 'workflow', 'submittedAt', 'error')
local reply = {outcome, runStatus, m[1] or '', tonumber(m[2] or '0'), m[3] or '', #failed}
for _, task in ipairs(failed) do reply[#reply + 1] = task end
return reply

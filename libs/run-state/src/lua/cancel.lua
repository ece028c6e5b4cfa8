--[[
  cancel: ends a run `cancelled` at once. Every task that has not ended (`pending`, `queued`, `running`)
  ends `cancelled`: one not started never starts (a queued attempt's assignment, if already published,
  is acked by its runner without running), and one running is aborted on its runner, whose late ack
  settles nothing. The run's keys expire after ttlMs, like any finished run. A run that ended is left
  as it is.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: now ttlMs reason
  Reply: {outcome, runStatus, workflow, tenant, n, n × (taskId attempt runnerId)} for the tasks that were running
         outcome: cancelled | finished (it had ended; runStatus says how) | missing
]]
local meta, status, attempt, info = KEYS[1], KEYS[6], KEYS[7], KEYS[9]
local now, ttl, reason = ARGV[1], ARGV[2], ARGV[3]

-- @include move

local runStatus = redis.call('HGET', meta, 'status')
if not runStatus then return {'missing', '', '', '', 0} end
local m = redis.call('HMGET', meta, 'workflow', 'tenant')
if runStatus ~= 'queued' and runStatus ~= 'running' then return {'finished', runStatus, m[1], m[2], 0} end

local running, ended = {}, 0
local all = redis.call('HGETALL', status)
for i = 1, #all, 2 do
  local task, current = all[i], all[i + 1]
  if current == 'pending' or current == 'queued' or current == 'running' then
    if current == 'running' then
      running[#running + 1] = task
      running[#running + 1] = redis.call('HGET', attempt, task)
      running[#running + 1] = redis.call('HGET', info, task .. '|runnerId') or ''
    end
    move(task, current, 'cancelled')
    redis.call('HSET', info, task .. '|finishedAt', now, task .. '|error', reason)
    redis.call('HDEL', info, task .. '|waitingSince')
    ended = ended + 1
  end
end
redis.call('HINCRBY', meta, 'done', ended)
redis.call('HSET', meta, 'status', 'cancelled', 'finishedAt', now, 'error', reason)
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
local reply = {'cancelled', 'cancelled', m[1], m[2], #running / 3}
for _, v in ipairs(running) do reply[#reply + 1] = v end
return reply

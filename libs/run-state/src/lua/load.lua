--[[
  load: what publishing an attempt needs, for attempts taken from the schedule (a retry after its
  backoff, a task that waited for a runner). An attempt that is the next one of a task whose current
  attempt is still `queued` or `running` is early: a supervisor schedules a retry before it settles the
  failure that calls for it, so the caller asks again later. Any other attempt that is no longer `queued`
  or no longer the task's current one is reported as gone.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: per attempt: taskId attempt
  Reply: {runStatus, workflow, tenant, domain, route, then per attempt: 1 specJson inputsJson | 2 '' '' (early) | 0 '' ''}
]]
local meta, spec, deps, status, attempt, output = KEYS[1], KEYS[2], KEYS[3], KEYS[6], KEYS[7], KEYS[10]

-- @include inputs

local m = redis.call('HMGET', meta, 'status', 'workflow', 'tenant', 'domain', 'route')
local reply = {m[1] or '', m[2] or '', m[3] or '', m[4] or '', m[5] or ''}
for i = 1, #ARGV, 2 do
  local task, n = ARGV[i], ARGV[i + 1]
  local current, at = redis.call('HGET', status, task), tonumber(redis.call('HGET', attempt, task) or '0')
  if m[1] == 'running' and current == 'queued' and at == tonumber(n) then
    reply[#reply + 1] = 1; reply[#reply + 1] = redis.call('HGET', spec, task); reply[#reply + 1] = inputsOf(task)
  elseif m[1] == 'running' and (current == 'queued' or current == 'running') and at == tonumber(n) - 1 then
    reply[#reply + 1] = 2; reply[#reply + 1] = ''; reply[#reply + 1] = ''
  else
    reply[#reply + 1] = 0; reply[#reply + 1] = ''; reply[#reply + 1] = ''
  end
end
return reply

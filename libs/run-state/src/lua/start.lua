--[[
  start: a supervisor takes a `queued` run. The run becomes `running`, routed to a domain with the
  hardware of that domain's runners, and its root tasks (those without dependencies, or, in a re-run,
  whose dependencies were all reused) become `queued`; they are returned with their specs and inputs
  so that their assignments can be published (a re-run always has a task to run).
  On a replay (the submission entry is read again because a supervisor died before acking it), the
  tasks still `queued` are returned again: their assignments may never have been published.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: now domain route hardwareJson replay (1|0)
  Reply: {outcome, runStatus, workflow, tenant, domain, route, n, then n × (taskId attempt specJson inputsJson)}
         outcome: started | replayed | unchanged | missing
]]
local meta, spec, deps, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[5]
local status, attempt, info, output = KEYS[6], KEYS[7], KEYS[9], KEYS[10]
local now, domain, route, hardware, replay = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local runStatus = redis.call('HGET', meta, 'status')
if not runStatus then return {'missing', '', '', '', '', '', 0} end

-- @include move

-- @include inputs

local out, outcome = {}, 'unchanged'
if runStatus == 'queued' then
  outcome, runStatus = 'started', 'running'
  redis.call('HSET', meta, 'status', 'running', 'startedAt', now, 'domain', domain, 'route', route)
  if hardware ~= '' then redis.call('HSET', meta, 'hardware', hardware) end
  local all = redis.call('HGETALL', status)
  for i = 1, #all, 2 do
    local task = all[i]
    if all[i + 1] == 'pending' and redis.call('HEXISTS', waiting, task) == 0 then
      move(task, 'pending', 'queued')
      redis.call('HSET', info, task .. '|queuedAt', now)
      out[#out + 1] = task; out[#out + 1] = '1'; out[#out + 1] = redis.call('HGET', spec, task)
      out[#out + 1] = inputsOf(task)
    end
  end
elseif runStatus == 'running' and replay == '1' then
  outcome = 'replayed'
  local all = redis.call('HGETALL', status)
  for i = 1, #all, 2 do
    if all[i + 1] == 'queued' then
      local task = all[i]
      out[#out + 1] = task; out[#out + 1] = redis.call('HGET', attempt, task)
      out[#out + 1] = redis.call('HGET', spec, task); out[#out + 1] = inputsOf(task)
    end
  end
end

local m = redis.call('HMGET', meta, 'workflow', 'tenant', 'domain', 'route')
local reply = {outcome, runStatus, m[1], m[2], m[3] or '', m[4] or '', #out / 4}
for _, v in ipairs(out) do reply[#reply + 1] = v end
return reply

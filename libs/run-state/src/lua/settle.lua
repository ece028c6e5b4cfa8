--[[
  settle: applies the outcomes of task attempts of one run, in the order given (a batch of acks, or
  failures a supervisor decided). An outcome of the task's current attempt while the task is `queued`
  or `running` is applied: a success stores the output and queues each child whose dependencies have
  all succeeded; a failure with a retry left queues the next attempt (the caller publishes it after a
  backoff); a final failure skips every task that depends on it. When the last task settles, the run
  ends `succeeded` or `failed` and all its keys expire after ttlMs.
  Any other outcome is a duplicate and changes nothing. On a replay (the ack entry is read again
  because a supervisor died before acking it) a duplicate reports the tasks it had queued that are
  still `queued`, since their assignments may never have been published.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts).
  ARGV: now ttlMs n, then n × (runnerId hardwareJson) for the runners named below (stored once per run),
        then per outcome (9 fields): taskId attempt success (1|0) error allowRetry (1|0)
        outputJson ('' for none) runnerId ('' for none) startedAt ('' when unknown) replay (1|0)
  Reply: {workflow, tenant, domain, route, submittedAt, error, then per outcome: length, outcome, runStatus, taskStatus,
          currentAttempt, nQueued, nQueued × (taskId attempt specJson inputsJson), nSkipped, skipped…}
         outcome: applied | retry | duplicate | unknown
]]
local meta, spec, deps, children, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local status, attempt, retries, info, output, runners = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local now, ttl, nRunners = ARGV[1], ARGV[2], tonumber(ARGV[3])

-- @include move

-- @include inputs

local function addQueued(list, task)
  list[#list + 1] = task
  list[#list + 1] = redis.call('HGET', attempt, task)
  list[#list + 1] = redis.call('HGET', spec, task)
  list[#list + 1] = inputsOf(task)
end

local function reply(outcome, runStatus, taskStatus, current, queued, skipped)
  local r = {outcome, runStatus, taskStatus, current, #queued / 4}
  for _, v in ipairs(queued) do r[#r + 1] = v end
  r[#r + 1] = #skipped
  for _, v in ipairs(skipped) do r[#r + 1] = v end
  return r
end

local function settle(task, n, success, err, allowRetry, out, runnerId, startedAt, replay)
  local runStatus = redis.call('HGET', meta, 'status') or ''
  local current = redis.call('HGET', status, task)
  if not current then return reply('unknown', runStatus, '', 0, {}, {}) end
  local currentAttempt = tonumber(redis.call('HGET', attempt, task))
  local queued, skipped = {}, {}

  if currentAttempt ~= n or (current ~= 'queued' and current ~= 'running') or runStatus ~= 'running' then
    if replay == '1' and runStatus == 'running' then
      if current == 'queued' then addQueued(queued, task) end
      local ch = redis.call('HGET', children, task)
      if ch then
        for child in string.gmatch(ch, '[^,]+') do
          if redis.call('HGET', status, child) == 'queued' then addQueued(queued, child) end
        end
      end
    end
    return reply('duplicate', runStatus, current, currentAttempt, queued, skipped)
  end

  if startedAt ~= '' then redis.call('HSETNX', info, task .. '|startedAt', startedAt) end
  if runnerId ~= '' then redis.call('HSET', info, task .. '|runnerId', runnerId) end

  if success == '1' then
    move(task, current, 'succeeded')
    redis.call('HINCRBY', meta, 'done', 1)
    redis.call('HSET', info, task .. '|finishedAt', now)
    redis.call('HDEL', info, task .. '|error')
    if out ~= '' then redis.call('HSET', output, task, out) end
    local ch = redis.call('HGET', children, task)
    if ch then
      for child in string.gmatch(ch, '[^,]+') do
        if redis.call('HINCRBY', waiting, child, -1) <= 0 then
          redis.call('HDEL', waiting, child)
          if redis.call('HGET', status, child) == 'pending' then
            move(child, 'pending', 'queued')
            redis.call('HSET', info, child .. '|queuedAt', now)
            addQueued(queued, child)
          end
        end
      end
    end
  else
    redis.call('HSET', info, task .. '|error', err)
    local allowed = tonumber(redis.call('HGET', retries, task) or '0')
    if allowRetry == '1' and n <= allowed then
      move(task, current, 'queued')
      redis.call('HSET', attempt, task, n + 1)
      redis.call('HDEL', info, task .. '|startedAt', task .. '|runnerId', task .. '|waitingSince', task .. '|domain')
      redis.call('HSET', info, task .. '|queuedAt', now)
      return reply('retry', runStatus, 'queued', n + 1, queued, skipped)
    end
    move(task, current, 'failed')
    redis.call('HINCRBY', meta, 'done', 1)
    redis.call('HINCRBY', meta, 'failed', 1)
    redis.call('HSET', info, task .. '|finishedAt', now)
    redis.call('HSETNX', meta, 'error', 'task ' .. task .. ': ' .. err)
    local stack = {task}
    while #stack > 0 do
      local parent = table.remove(stack)
      local ch = redis.call('HGET', children, parent)
      if ch then
        for child in string.gmatch(ch, '[^,]+') do
          if redis.call('HGET', status, child) == 'pending' then
            move(child, 'pending', 'skipped')
            redis.call('HINCRBY', meta, 'done', 1)
            redis.call('HSET', info, child .. '|finishedAt', now, child .. '|error', 'dependency ' .. parent .. ' failed')
            skipped[#skipped + 1] = child
            stack[#stack + 1] = child
          end
        end
      end
    end
  end

  if tonumber(redis.call('HGET', meta, 'done')) >= tonumber(redis.call('HGET', meta, 'total')) then
    runStatus = tonumber(redis.call('HGET', meta, 'failed')) > 0 and 'failed' or 'succeeded'
    redis.call('HSET', meta, 'status', runStatus, 'finishedAt', now)
    for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
  end
  return reply('applied', runStatus, redis.call('HGET', status, task), n, queued, skipped)
end

-- Only while the run runs: a late ack must not bring back a key of a run that ended and expired.
if redis.call('HGET', meta, 'status') == 'running' then
  for i = 4, 3 + 2 * nRunners, 2 do redis.call('HSETNX', runners, ARGV[i], ARGV[i + 1]) end
end
local results = {}
for i = 4 + 2 * nRunners, #ARGV, 9 do
  results[#results + 1] = settle(ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5],
    ARGV[i + 6], ARGV[i + 7], ARGV[i + 8])
end
local m = redis.call('HMGET', meta, 'workflow', 'tenant', 'domain', 'route', 'submittedAt', 'error')
local out = {m[1] or '', m[2] or '', m[3] or '', m[4] or '', m[5] or '', m[6] or ''}
for _, r in ipairs(results) do
  out[#out + 1] = #r
  for _, v in ipairs(r) do out[#out + 1] = v end
end
return out

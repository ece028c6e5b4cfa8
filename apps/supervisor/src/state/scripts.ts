/**
 * Lua scripts over one run's keys. Every key of a run carries the run id as a hash tag, so each
 * script touches one Redis Cluster slot; all keys come in through KEYS.
 *
 * KEYS: 1 meta (hash), 2 spec (task → assignment spec JSON), 3 children (task → "a,b"),
 *       4 waiting (task → unmet dependency count), 5 status (task → status), 6 attempt (task → n),
 *       7 retries (task → retries allowed, only when > 0)
 * Task status: pending → ready → dispatched → succeeded | failed; ready again on retry; skipped.
 */

/** ARGV: runId workflow tenant domain route submittedAt now total, then per task: id specJson deps(csv) retries. */
export const CREATE_RUN = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local out = {'exists', redis.call('HGET', KEYS[1], 'status')}
  local st = redis.call('HGETALL', KEYS[5])
  for i = 1, #st, 2 do
    if st[i + 1] == 'ready' then table.insert(out, st[i]); table.insert(out, redis.call('HGET', KEYS[6], st[i])) end
  end
  return out
end
redis.call('HSET', KEYS[1], 'runId', ARGV[1], 'workflow', ARGV[2], 'tenant', ARGV[3], 'domain', ARGV[4], 'route', ARGV[5],
  'submittedAt', ARGV[6], 'startedAt', ARGV[7], 'status', 'running', 'total', ARGV[8], 'done', 0, 'failed', 0)
local children = {}
local order = {}
local out = {'created', 'running'}
for i = 9, #ARGV, 4 do
  local id, spec, deps, retries = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  redis.call('HSET', KEYS[2], id, spec)
  redis.call('HSET', KEYS[6], id, 1)
  if retries ~= '0' then redis.call('HSET', KEYS[7], id, retries) end
  if deps == '' then
    redis.call('HSET', KEYS[5], id, 'ready')
    table.insert(out, id); table.insert(out, '1')
  else
    redis.call('HSET', KEYS[5], id, 'pending')
    local n = 0
    for dep in string.gmatch(deps, '[^,]+') do
      n = n + 1
      if not children[dep] then children[dep] = {}; table.insert(order, dep) end
      table.insert(children[dep], id)
    end
    redis.call('HSET', KEYS[4], id, n)
  end
end
for _, dep in ipairs(order) do redis.call('HSET', KEYS[3], dep, table.concat(children[dep], ',')) end
return out
`;

/**
 * Settles attempts of tasks of one run, in order. ARGV: now finishedTtlMs, then per settlement:
 * taskId attempt success(1|0) error allowRetry(1|0). Returns, per settlement, its length then
 * {outcome, runStatus, taskStatus, currentAttempt, n, ready task/attempt pairs…, m, skipped…}; outcome
 * one of applied | retry | duplicate | unknown. A duplicate (attempt already settled, or a stale
 * attempt) changes nothing but reports the ready children, so work a crashed supervisor derived but
 * never scheduled is scheduled again. One call settles a whole batch of one run's acks.
 */
export const SETTLE_TASKS = `
local function settle(task, attempt, success, err, allowRetry, now, ttl)
  local status = redis.call('HGET', KEYS[5], task)
  if not status then return {'unknown', '', '', 0, 0, 0} end
  local current = tonumber(redis.call('HGET', KEYS[6], task))
  local runStatus = redis.call('HGET', KEYS[1], 'status')

  local function readyChildren(out)
    local list = {}
    local ch = redis.call('HGET', KEYS[3], task)
    if ch then
      for child in string.gmatch(ch, '[^,]+') do
        if redis.call('HGET', KEYS[5], child) == 'ready' then table.insert(list, child); table.insert(list, redis.call('HGET', KEYS[6], child)) end
      end
    end
    table.insert(out, #list / 2)
    for _, v in ipairs(list) do table.insert(out, v) end
    return out
  end

  if current ~= attempt or (status ~= 'dispatched' and status ~= 'ready') or runStatus ~= 'running' then
    local out = readyChildren({'duplicate', runStatus, status, current})
    table.insert(out, 0)
    return out
  end

  local ready, skipped = {}, {}
  if success == '1' then
    redis.call('HSET', KEYS[5], task, 'succeeded')
    redis.call('HINCRBY', KEYS[1], 'done', 1)
    local ch = redis.call('HGET', KEYS[3], task)
    if ch then
      for child in string.gmatch(ch, '[^,]+') do
        local n = redis.call('HINCRBY', KEYS[4], child, -1)
        if n <= 0 then
          redis.call('HDEL', KEYS[4], child)
          if redis.call('HGET', KEYS[5], child) == 'pending' then
            redis.call('HSET', KEYS[5], child, 'ready')
            table.insert(ready, child); table.insert(ready, redis.call('HGET', KEYS[6], child))
          end
        end
      end
    end
  else
    local retries = tonumber(redis.call('HGET', KEYS[7], task) or '0')
    if allowRetry == '1' and attempt <= retries then
      redis.call('HSET', KEYS[6], task, attempt + 1)
      redis.call('HSET', KEYS[5], task, 'ready')
      return {'retry', runStatus, 'ready', attempt + 1, 1, task, tostring(attempt + 1), 0}
    end
    redis.call('HSET', KEYS[5], task, 'failed')
    redis.call('HINCRBY', KEYS[1], 'done', 1)
    redis.call('HINCRBY', KEYS[1], 'failed', 1)
    redis.call('HSETNX', KEYS[1], 'error', 'task ' .. task .. ': ' .. err)
    local queue = {task}
    while #queue > 0 do
      local t = table.remove(queue)
      local ch = redis.call('HGET', KEYS[3], t)
      if ch then
        for child in string.gmatch(ch, '[^,]+') do
          if redis.call('HGET', KEYS[5], child) == 'pending' then
            redis.call('HSET', KEYS[5], child, 'skipped')
            redis.call('HINCRBY', KEYS[1], 'done', 1)
            table.insert(skipped, child)
            table.insert(queue, child)
          end
        end
      end
    end
  end

  local done = tonumber(redis.call('HGET', KEYS[1], 'done'))
  local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
  if done >= total then
    runStatus = tonumber(redis.call('HGET', KEYS[1], 'failed')) > 0 and 'failed' or 'succeeded'
    redis.call('HSET', KEYS[1], 'status', runStatus, 'finishedAt', now)
    for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
  end
  local out = {'applied', runStatus, redis.call('HGET', KEYS[5], task), attempt, #ready / 2}
  for _, v in ipairs(ready) do table.insert(out, v) end
  table.insert(out, #skipped)
  for _, v in ipairs(skipped) do table.insert(out, v) end
  return out
end

local out = {}
for i = 3, #ARGV, 5 do
  local res = settle(ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[1], ARGV[2])
  table.insert(out, #res)
  for _, v in ipairs(res) do table.insert(out, v) end
end
return out
`;

/** Marks published attempts dispatched unless already settled. ARGV: pairs of taskId attempt. Returns 1 or 0 per pair. */
export const MARK_DISPATCHED = `
local out = {}
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[5], ARGV[i]) == 'ready' and redis.call('HGET', KEYS[6], ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', KEYS[5], ARGV[i], 'dispatched')
    table.insert(out, 1)
  else
    table.insert(out, 0)
  end
end
return out
`;

/** Claims due schedule entries by pushing them a lease into the future. KEYS: schedule. ARGV: now limit leaseUntil. */
export const CLAIM_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], m) end
return due
`;

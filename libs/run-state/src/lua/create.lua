--[[
  create: stores a submitted run as `queued` and each of its tasks as `pending`.
  Idempotent: a run that already exists is left as it is and its status returned.
  Called by the orchestrator when it accepts a submission, and by a supervisor for a submission
  that reached mesh:workflows without one.
  A re-run (rerunOf set) may carry tasks that succeeded in the run it re-runs: each starts `succeeded`
  with its output and `reused` set, and counts as a dependency met for the tasks after it.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts); all carry the run's hash tag.
  ARGV: runId workflow tenant submittedAt rerunOf ('' for none),
        then per task: taskId specJson deps (comma-separated, '' for none) retries
        reused ('' to run it; 'r' followed by its output JSON, or 'r' alone for none, to reuse an output)
        routeJson ('' when the task follows its run's route, else {"domain":…} or {"requires":…})
  Reply: {'created', 'queued'} or {'exists', <run status>}
]]
local meta, spec, deps, children, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local status, attempt, retries, info, output, order = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[12]
local routes = KEYS[13]

if redis.call('EXISTS', meta) == 1 then
  return {'exists', redis.call('HGET', meta, 'status')}
end

local HEADER = 5
local FIELDS = 6
local total = (#ARGV - HEADER) / FIELDS
redis.call('HSET', meta, 'runId', ARGV[1], 'workflow', ARGV[2], 'tenant', ARGV[3], 'submittedAt', ARGV[4],
  'status', 'queued', 'total', total, 'done', 0, 'failed', 0, 'n:pending', total)
if ARGV[5] ~= '' then redis.call('HSET', meta, 'rerunOf', ARGV[5]) end

local reused = {}
for i = HEADER + 1, #ARGV, FIELDS do
  if ARGV[i + 4] ~= '' then reused[ARGV[i]] = string.sub(ARGV[i + 4], 2) end
end

local ids, kids, parents, nReused = {}, {}, {}, 0
for i = HEADER + 1, #ARGV, FIELDS do
  local id, specJson, depList, allowed = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  ids[#ids + 1] = id
  redis.call('HSET', spec, id, specJson)
  redis.call('HSET', attempt, id, 1)
  if allowed ~= '0' then redis.call('HSET', retries, id, allowed) end
  if ARGV[i + 5] ~= '' then redis.call('HSET', routes, id, ARGV[i + 5]) end
  if reused[id] then
    nReused = nReused + 1
    redis.call('HSET', status, id, 'succeeded')
    redis.call('HSET', info, id .. '|reused', 1, id .. '|finishedAt', ARGV[4])
    if reused[id] ~= '' then redis.call('HSET', output, id, reused[id]) end
  else
    redis.call('HSET', status, id, 'pending')
  end
  if depList ~= '' then
    redis.call('HSET', deps, id, depList)
    local n = 0
    for dep in string.gmatch(depList, '[^,]+') do
      if not reused[dep] then n = n + 1 end
      if not kids[dep] then kids[dep] = {}; parents[#parents + 1] = dep end
      table.insert(kids[dep], id)
    end
    if n > 0 and not reused[id] then redis.call('HSET', waiting, id, n) end
  end
end
for _, dep in ipairs(parents) do redis.call('HSET', children, dep, table.concat(kids[dep], ',')) end
redis.call('SET', order, table.concat(ids, ','))
if nReused > 0 then
  redis.call('HSET', meta, 'n:pending', total - nReused, 'n:succeeded', nReused, 'done', nReused)
end
return {'created', 'queued'}

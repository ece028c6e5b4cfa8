--[[
  create: stores a submitted run as `queued` and each of its tasks as `pending`.
  Idempotent: a run that already exists is left as it is and its status returned.
  Called by the orchestrator when it accepts a submission, and by a supervisor for a submission
  that reached mesh:workflows without one.

  KEYS: the run's keys, in RUN_KEY_PARTS order (run-keys.ts); all carry the run's hash tag.
  ARGV: runId workflow tenant submittedAt rerunOf ('' for none),
        then per task: taskId specJson deps (comma-separated, '' for none) retries
  Reply: {'created', 'queued'} or {'exists', <run status>}
]]
local meta, spec, deps, children, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local status, attempt, retries, order = KEYS[6], KEYS[7], KEYS[8], KEYS[12]

if redis.call('EXISTS', meta) == 1 then
  return {'exists', redis.call('HGET', meta, 'status')}
end

local HEADER = 5
local total = (#ARGV - HEADER) / 4
redis.call('HSET', meta, 'runId', ARGV[1], 'workflow', ARGV[2], 'tenant', ARGV[3], 'submittedAt', ARGV[4],
  'status', 'queued', 'total', total, 'done', 0, 'failed', 0, 'n:pending', total)
if ARGV[5] ~= '' then redis.call('HSET', meta, 'rerunOf', ARGV[5]) end

local ids, kids, parents = {}, {}, {}
for i = HEADER + 1, #ARGV, 4 do
  local id, specJson, depList, allowed = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  ids[#ids + 1] = id
  redis.call('HSET', spec, id, specJson)
  redis.call('HSET', status, id, 'pending')
  redis.call('HSET', attempt, id, 1)
  if allowed ~= '0' then redis.call('HSET', retries, id, allowed) end
  if depList ~= '' then
    redis.call('HSET', deps, id, depList)
    local n = 0
    for dep in string.gmatch(depList, '[^,]+') do
      n = n + 1
      if not kids[dep] then kids[dep] = {}; parents[#parents + 1] = dep end
      table.insert(kids[dep], id)
    end
    redis.call('HSET', waiting, id, n)
  end
end
for _, dep in ipairs(parents) do redis.call('HSET', children, dep, table.concat(kids[dep], ',')) end
redis.call('SET', order, table.concat(ids, ','))
return {'created', 'queued'}

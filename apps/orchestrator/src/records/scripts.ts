/**
 * Folds one run event into a run record. KEYS: 1 meta (hash), 2 tasks (hash of "<taskId>|<field>").
 * ARGV: type at taskId attempt runnerId domain error ttlMs. Returns {changed, finished}.
 *
 * Order-independent and idempotent: a run's status only moves up queued < running < finished (the
 * first final status wins), and a task keeps the greatest (attempt, phase) seen, phase being
 * dispatched(1) < retrying(2) < succeeded/failed(3); skipped applies only to a task never attempted.
 * So the same event twice, or two orchestrators applying events out of order, end in the same record.
 */
export const APPLY_EVENT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local typ, at, task, attempt, runner, domain, err = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]) or 0, ARGV[5], ARGV[6], ARGV[7]
local changed, finished = 0, 0
local function set(key, field, value)
  if value ~= '' and redis.call('HGET', key, field) ~= value then redis.call('HSET', key, field, value); changed = 1 end
end
local function setnx(key, field, value)
  if value ~= '' and redis.call('HSETNX', key, field, value) == 1 then changed = 1 end
end
local status = redis.call('HGET', KEYS[1], 'status')
local final = status == 'succeeded' or status == 'failed'

if typ == 'run-started' then
  if status == 'queued' then set(KEYS[1], 'status', 'running') end
  setnx(KEYS[1], 'startedAt', at)
  setnx(KEYS[1], 'domain', domain)
elseif typ == 'run-succeeded' or typ == 'run-failed' then
  if not final then
    set(KEYS[1], 'status', typ == 'run-succeeded' and 'succeeded' or 'failed')
    finished = 1
  end
  setnx(KEYS[1], 'finishedAt', at)
  setnx(KEYS[1], 'error', err)
elseif task ~= '' then
  if status == 'queued' then set(KEYS[1], 'status', 'running') end
  local phases = {['task-dispatched'] = 1, ['task-retrying'] = 2, ['task-succeeded'] = 3, ['task-failed'] = 3}
  local k = task .. '|'
  if typ == 'task-skipped' then
    if not redis.call('HGET', KEYS[2], k .. 'attempts') then
      set(KEYS[2], k .. 'status', 'skipped')
      setnx(KEYS[2], k .. 'error', err)
      setnx(KEYS[2], k .. 'finishedAt', at)
    end
  elseif phases[typ] then
    local phase = phases[typ]
    local curAttempt = tonumber(redis.call('HGET', KEYS[2], k .. 'attempts') or '0')
    if attempt > curAttempt then
      -- A newer attempt: forget the older one's details.
      redis.call('HDEL', KEYS[2], k .. 'phase', k .. 'startedAt', k .. 'finishedAt', k .. 'error', k .. 'runnerId')
      set(KEYS[2], k .. 'attempts', tostring(attempt))
      curAttempt = attempt
    end
    if attempt == curAttempt then
      -- Facts of this attempt, whatever order its events come in.
      if phase == 1 then
        set(KEYS[2], k .. 'startedAt', at)
        set(KEYS[2], k .. 'domain', domain)
      elseif phase == 2 then
        set(KEYS[2], k .. 'runnerId', runner)
      else
        set(KEYS[2], k .. 'finishedAt', at)
        set(KEYS[2], k .. 'runnerId', runner)
      end
      local curPhase = tonumber(redis.call('HGET', KEYS[2], k .. 'phase') or '0')
      if phase > curPhase then
        set(KEYS[2], k .. 'phase', tostring(phase))
        if phase == 1 then
          set(KEYS[2], k .. 'status', 'dispatched')
        elseif phase == 2 then
          set(KEYS[2], k .. 'status', 'pending')
          set(KEYS[2], k .. 'error', err)
        else
          set(KEYS[2], k .. 'status', typ == 'task-succeeded' and 'succeeded' or 'failed')
          if typ == 'task-failed' then set(KEYS[2], k .. 'error', err) end
        end
      end
    end
  end
end
if changed == 1 then
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[8]) end
end
return {changed, finished}
`;

--[[
  depth: what supervisor_pending_queue_depth counts, exactly: attempts ready to publish that no supervisor
  handed to its publisher yet. Those are the dispatch members (`d|…`) of the schedule that are due, plus the
  members a supervisor holds back because their domain has no live runner and that wait for their next check
  (due later). Queue deadlines (`q|…`) are checks, not work, and retries still in their backoff are not ready.
  Held members no longer in the schedule were published or failed meanwhile (by any supervisor): reported gone.

  KEYS: 1 schedule (sorted set scored by due time)
  ARGV: now, then the members this supervisor holds back
  Reply: {ready, gone…}
]]
local schedule = KEYS[1]
local now = tonumber(ARGV[1])

local ready = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', schedule, '-inf', now)) do
  if string.sub(member, 1, 2) == 'd|' then ready = ready + 1 end
end
local reply = {0}
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', schedule, ARGV[i])
  if not score then
    reply[#reply + 1] = ARGV[i]
  elseif tonumber(score) > now then
    ready = ready + 1
  end
end
reply[1] = ready
return reply

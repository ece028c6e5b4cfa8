--[[
  claim-due: claims due members of the supervisors' schedule by pushing their score a lease into the
  future; the claimer removes them once handled, and if it dies first another supervisor claims them
  when the lease runs out.

  KEYS: 1 schedule (sorted set scored by due time, shared by every supervisor)
  ARGV: now limit leaseUntil
  Reply: the claimed members
]]
local schedule = KEYS[1]
local now, limit, leaseUntil = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local due = redis.call('ZRANGEBYSCORE', schedule, '-inf', now, 'LIMIT', 0, limit)
for _, member in ipairs(due) do redis.call('ZADD', schedule, leaseUntil, member) end
return due

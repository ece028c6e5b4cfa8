--[[
  forget-key: deletes an Idempotency-Key's entry only if it still names the given run, so that a
  newer claim of the same key is kept.

  KEYS: 1 entry (string "<runId> <digest> <state>")
  ARGV: runId
  Reply: 1 when deleted, 0 when the entry is gone or names another run
]]
local entry = KEYS[1]
local runId = ARGV[1]

local value = redis.call('GET', entry)
if value and string.sub(value, 1, #runId + 1) == runId .. ' ' then return redis.call('DEL', entry) end
return 0

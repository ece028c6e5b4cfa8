-- inputsOf(task): {"dep":<output>,…} from the stored outputs of the task's dependencies ('' when it has none).
-- Task ids are Mesh names, safe inside a JSON string. Needs locals `deps` and `output` (the run's keys).
local function inputsOf(task)
  local list = redis.call('HGET', deps, task)
  if not list then return '' end
  local parts = {}
  for dep in string.gmatch(list, '[^,]+') do
    parts[#parts + 1] = '"' .. dep .. '":' .. (redis.call('HGET', output, dep) or 'null')
  end
  return '{' .. table.concat(parts, ',') .. '}'
end

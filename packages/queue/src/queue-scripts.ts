// The Lua scripts JobQueues runs on Redis (each one atomic step), and how many hosts or jobs one call reads.

/**
 * Takes a job off the structures a queued job waits in (wait, paused: lists; prioritized, delayed: sorted
 * sets) in one step: 1 when it was there. A worker takes a job off `wait` atomically too, so a job is either
 * taken here (and never runs) or already active or finished (and this returns 0).
 */
export const TAKE_QUEUED = `
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then return 1 end
if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 1 then return 1 end
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then return 1 end
if redis.call('ZREM', KEYS[4], ARGV[1]) == 1 then return 1 end
return 0`;

/**
 * Each queue's backlog (ARGV: the queues' key prefixes, "ballast:jobs-<host>:"), as BullMQ's getCounts and
 * getRanges read them and JobQueues.backlog takes them: { waiting (wait + prioritized), active, delayed, the
 * smallest timestamp of the next job of wait (its tail; a BullMQ 4 marker "0:…" there is not a job) and of
 * prioritized (its lowest score), or -1 }; a queue whose keys cannot be read: { "error", message }.
 */
export const BACKLOGS = `
local out = {}
for i = 1, #ARGV do
  local b = ARGV[i]
  local function c(...)
    local r = redis.pcall(...)
    if type(r) == 'table' and r.err then error(r.err) end
    return r
  end
  local ok, res = pcall(function()
    local wait = c('LLEN', b .. 'wait')
    local tail = c('LRANGE', b .. 'wait', -2, -1)
    local oldest = tail[#tail]
    if oldest and string.sub(oldest, 1, 2) == '0:' then
      if wait > 1 then wait = wait - 1 else wait = 0 end
      if wait > 0 then oldest = tail[#tail - 1] else oldest = nil end
    end
    local prioritized = c('ZCARD', b .. 'prioritized')
    local ids = {}
    if oldest then ids[#ids + 1] = oldest end
    local first = c('ZRANGE', b .. 'prioritized', 0, 0)
    if first[1] then ids[#ids + 1] = first[1] end
    local min = -1
    if wait + prioritized > 0 then
      for _, id in ipairs(ids) do
        local t = tonumber(c('HGET', b .. id, 'timestamp'))
        if t and (min < 0 or t < min) then min = t end
      end
    end
    return { wait + prioritized, c('LLEN', b .. 'active'), c('ZCARD', b .. 'delayed'), tostring(min) }
  end)
  if ok then out[i] = res else out[i] = { 'error', tostring(res) } end
end
return out`;
/** Hosts per BACKLOGS call: Redis runs a script alone, so a long one holds every other client up. */
export const BACKLOG_CHUNK = 200;

/**
 * Per (queue key base, job id) in ARGV: the job's BullMQ state, checked in the order of BullMQ's getStateV2 script,
 * and the hash fields of its outcome (HMGET: timestamp, whether the job exists; atm / attemptsMade; returnvalue;
 * failedReason; finishedOn; progress).
 */
export const OUTCOMES = `
local out = {}
for i = 1, #ARGV, 2 do
  local b, id = ARGV[i], ARGV[i + 1]
  local st = 'unknown'
  if redis.call('ZSCORE', b .. 'completed', id) then st = 'completed'
  elseif redis.call('ZSCORE', b .. 'failed', id) then st = 'failed'
  elseif redis.call('ZSCORE', b .. 'delayed', id) then st = 'delayed'
  elseif redis.call('ZSCORE', b .. 'prioritized', id) then st = 'prioritized'
  elseif redis.call('LPOS', b .. 'active', id) then st = 'active'
  elseif redis.call('LPOS', b .. 'wait', id) then st = 'waiting'
  elseif redis.call('LPOS', b .. 'paused', id) then st = 'waiting'
  elseif redis.call('ZSCORE', b .. 'waiting-children', id) then st = 'waiting-children' end
  out[#out + 1] = { st, redis.call('HMGET', b .. id, 'timestamp', 'atm', 'attemptsMade', 'returnvalue', 'failedReason', 'finishedOn', 'progress') }
end
return out`;
export const OUTCOMES_CHUNK = 200;

-- The one wrk script of `make bench`. Environment:
--   TARGET  gateway-sign    POST /v1/signatures (parallel) of the next instance of INSTANCES, fresh Idempotency-Key
--           altinn-actions  POST …/instances/{id}/actions {"action":"sign"} of the next instance of INSTANCES
--           paths           GET the next path of PATHS (space separated), round robin
--           (unset)         GET the URL given to wrk
--   AUTH    the Authorization header's value ("" sends none)
--   RATE    requests per second for this wrk's every thread (the caller divides the total by -t). Unset: closed
--           loop, as fast as the connections go. Set: open loop at a fixed rate (wrk2-style): each request takes
--           the next slot of the thread's schedule (start + k/RATE) and is sent at it, whichever connection is free;
--           wrk measures each latency from the send, which is the slot unless every connection was busy at it
--           (a "late" send, counted and printed: many of them mean too few connections for the rate).
-- done() prints `QUANTILES q:us …` (the latency distribution, for sums of several calls) and `SCHEDULE slots late`.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *ts);
]]
local timespec = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

local target = os.getenv("TARGET") or ""
local auth = os.getenv("AUTH") or ""
if auth ~= "" then wrk.headers["Authorization"] = auth end

local function words(text)
  local list = {}
  for word in string.gmatch(text or "", "%S+") do list[#list + 1] = word end
  return list
end
local instances = words(os.getenv("INSTANCES"))
local paths = words(os.getenv("PATHS"))
local counter = 0
local prefix = ""

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  prefix = tostring(math.random(1, 2147483647)) .. "-"
  counter = math.random(0, 1000000)
end

function request()
  counter = counter + 1
  if target == "gateway-sign" or target == "altinn-actions" then
    local instance = instances[(counter % #instances) + 1]
    -- wrk.format uses the given table instead of wrk.headers: carry Authorization over.
    local headers = { ["Content-Type"] = "application/json" }
    if auth ~= "" then headers["Authorization"] = auth end
    if target == "gateway-sign" then
      headers["Idempotency-Key"] = prefix .. counter
      return wrk.format("POST", "/v1/signatures", headers,
        '{"app":"ttd/signing-app","instanceId":"' .. instance .. '","mode":"parallel"}')
    end
    return wrk.format("POST", "/ttd/signing-app/instances/" .. instance .. "/actions", headers, '{"action":"sign"}')
  elseif target == "paths" then
    return wrk.format("GET", paths[(counter % #paths) + 1])
  end
  return wrk.format("GET")
end

slots, late = 0, 0
local rate = tonumber(os.getenv("RATE") or "")
if rate and rate > 0 then
  local interval = 1000000 / rate
  local next_slot = nil
  function delay()
    local now = now_us()
    if next_slot == nil then next_slot = now + math.random() * interval end
    local slot = next_slot
    next_slot = next_slot + interval
    slots = slots + 1
    if slot < now - 1000 then late = late + 1 end
    local ms = (slot - now) / 1000
    if ms <= 0 then return 0 end
    return math.ceil(ms)
  end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

function done(summary, latency, requests)
  local parts = {}
  for _, q in ipairs({ 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 92.5, 95, 97.5,
    98, 99, 99.5, 99.9, 100 }) do
    parts[#parts + 1] = string.format("%g:%d", q, latency:percentile(q))
  end
  io.write("QUANTILES " .. table.concat(parts, " ") .. "\n")
  local total_slots, total_late = 0, 0
  for _, thread in ipairs(threads) do
    total_slots = total_slots + (thread:get("slots") or 0)
    total_late = total_late + (thread:get("late") or 0)
  end
  io.write(string.format("SCHEDULE %d %d\n", total_slots, total_late))
end

-- Copied unchanged from shared/bench/isso/wrk/common.lua (the Isso 0.14.0 baseline's request generators).
-- Shared by every scenario: writes wrk's own summary as one JSON object to
-- $WRK_JSON (latency percentiles are exact, from wrk's HdrHistogram, in µs).
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)          -- per-thread id -> deterministic RNG seed
end

function done(summary, latency, requests)
  local path = os.getenv("WRK_JSON")
  if not path then return end
  local f = io.open(path, "w")
  local e = summary.errors
  f:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "p50": %d, "p75": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency.max))
  f:close()
end

-- wrk script of bench/ingest_throughput.py: replay pre-signed webhook posts, each at most once per run.
--
-- Environment: CXPULSE_WRK_REQUESTS (the file bench/ingest_requests.py wrote: signature TAB token TAB body per
-- line), CXPULSE_WRK_PATH (the URL path to post to), CXPULSE_WRK_THREADS (wrk's -t). Thread i sends entries
-- i+1, i+1+T, i+1+2T, ... so no two threads send the same post. A thread that runs out starts over and counts
-- every post after that as a repeat: ingest answers a repeat without producing it (the bench says so).
-- done() prints one line, "CXPULSE_WRK <json>", that the bench parses.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("CXPULSE_WRK_REQUESTS")
  target = os.getenv("CXPULSE_WRK_PATH")
  step = tonumber(os.getenv("CXPULSE_WRK_THREADS"))
  entries = {}
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    if (n - 1) % step == id then
      local signature, token, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      entries[#entries + 1] = {
        body = body,
        headers = {
          ["Content-Type"] = "application/x-www-form-urlencoded",
          ["X-Twilio-Signature"] = signature,
          ["I-Twilio-Idempotency-Token"] = token,
        },
      }
    end
  end
  cursor = 1
  wrapped = false
  repeats = 0
end

function request()
  if cursor > #entries then
    cursor = 1
    wrapped = true
  end
  if wrapped then
    repeats = repeats + 1
  end
  local entry = entries[cursor]
  cursor = cursor + 1
  return wrk.format("POST", target, entry.headers, entry.body)
end

function done(summary, latency, requests)
  local repeats = 0
  for _, thread in ipairs(threads) do
    repeats = repeats + (thread:get("repeats") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'CXPULSE_WRK {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "repeats": %d}\n',
    summary.requests, summary.duration, errors.status, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, repeats))
end

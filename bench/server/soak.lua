-- wrk script for soak.sh: a fixed rotation of good and bad requests, classified by their answers.
-- Good: a PNG and a strokes JSON of a drawn 7 (must be 200 with digit 7). Bad: malformed JSON and
-- a wrong pixel count (must be 400 with an error naming the problem). soak.sh runs it in chunks
-- of fixed duration until the total reaches the number of requests asked for (wrk's own clock
-- decides when a run ends: a thread stopping early does not end it).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent, seen = 0, 0
  sent_good, sent_bad = 0, 0
  ok7, bad_json, bad_pixels, other = 0, 0, 0, 0
  local f = assert(io.open(os.getenv("BENCH_PNG"), "rb"))
  local png = f:read("*a")
  f:close()
  local json = { ["Content-Type"] = "application/json" }
  reqs = {
    wrk.format("POST", "/api/v1/predict", { ["Content-Type"] = "image/png" }, png),
    wrk.format("POST", "/api/v1/predict", json, '{"strokes": [[[20, 8], [80, 8], [62, 40], [45, 95]]]}'),
    wrk.format("POST", "/api/v1/predict", json, '{"strokes": [[[20, 8],'),
    wrk.format("POST", "/api/v1/predict", json, '{"pixels": [1, 2, 3]}'),
  }
end

function request()
  sent = sent + 1
  local k = sent % 4 + 1
  if k <= 2 then sent_good = sent_good + 1 else sent_bad = sent_bad + 1 end
  return reqs[k]
end

function response(status, headers, body)
  seen = seen + 1
  if status == 200 and body:find('"digit":7,', 1, true) then
    ok7 = ok7 + 1
  elseif status == 400 and body:find("JSON", 1, true) then
    bad_json = bad_json + 1
  elseif status == 400 and body:find("pixels", 1, true) then
    bad_pixels = bad_pixels + 1
  else
    other = other + 1
    if other <= 3 then io.stderr:write("unexpected answer " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local t = { sent_good = 0, sent_bad = 0, ok7 = 0, bad_json = 0, bad_pixels = 0, other = 0 }
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.1f, "rps": %.0f, "p50_ms": %.2f, "p99_ms": %.2f, "socket_errors": %d, ' ..
    '"sent_good": %d, "sent_bad": %d, "ok_digit7": %d, "bad_json_400": %d, "bad_pixels_400": %d, "other": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout,
    t.sent_good, t.sent_bad, t.ok7, t.bad_json, t.bad_pixels, t.other))
end

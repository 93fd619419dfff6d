-- wrk script of bench/agent_ingest.py: every request POSTs a new health report.
--
--   wrk ... -s bench/agent_ingest.lua URL -- PATH DATA_DIR NONCE SEQ0 THREADS
--
-- DATA_DIR holds tokens.txt ("<device token> <machine number>" a line) and
-- machine-<n>.json, a report as the agent built it from a recorded machine with
-- @@REPORT_ID@@ and 987654321 where each request puts a new report id and the
-- device's next seq. Thread k sends for devices k+1, k+1+THREADS, ... in turn, so
-- a device's seq only rises. PATH is /api/v1/agent/reports or /bench/bare: the
-- same bodies and headers either way. done() prints one line of JSON.

local threads = {}
local count = 0

function setup(thread)
   thread:set("id", count)
   count = count + 1
   table.insert(threads, thread)
end

local function read(path)
   local file = assert(io.open(path, "rb"))
   local text = file:read("*a")
   file:close()
   return text
end

local function split(text, marker)
   local at = assert(string.find(text, marker, 1, true), marker)
   return string.sub(text, 1, at - 1), string.sub(text, at + #marker)
end

function init(args)
   path, nonce, seq0 = args[1], tonumber(args[3]), tonumber(args[4])
   local dir, step = args[2], tonumber(args[5])
   local tokens, machines = {}, {}
   for line in io.lines(dir .. "/tokens.txt") do
      local token, machine = string.match(line, "^(%S+) (%d+)$")
      table.insert(tokens, token)
      table.insert(machines, tonumber(machine))
   end
   parts = {}
   for machine = 0, 9 do
      local file = io.open(dir .. "/machine-" .. machine .. ".json", "rb")
      if file == nil then break end
      file:close()
      local text = read(dir .. "/machine-" .. machine .. ".json")
      local head, rest = split(text, "@@REPORT_ID@@")
      local middle, tail = split(rest, "987654321")
      parts[machine] = {head, middle, tail}
   end
   mine, seqs = {}, {}
   for i = id + 1, #tokens, step do
      table.insert(mine, {token = "Bearer " .. tokens[i], machine = machines[i]})
      table.insert(seqs, seq0)
   end
   cursor, sent, statuses = 0, 0, {}
end

function request()
   cursor = cursor % #mine + 1
   sent = sent + 1
   seqs[cursor] = seqs[cursor] + 1
   local device = mine[cursor]
   local p = parts[device.machine]
   local report_id = string.format("%08x-%04x-4000-8000-%012d", nonce, id, sent)
   local body = p[1] .. report_id .. p[2] .. seqs[cursor] .. p[3]
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["Authorization"] = device.token,
   }, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local seen = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         seen[status] = (seen[status] or 0) + n
      end
   end
   local codes = {}
   for status, n in pairs(seen) do
      table.insert(codes, string.format('"%d": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, '
         .. '"timeout": %d}, "latency_ms": {"p50": %.3f, "p95": %.3f, '
         .. '"p99": %.3f, "mean": %.3f, "max": %.3f}, "statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.mean / 1000, latency.max / 1000,
      table.concat(codes, ", ")))
end

-- wrk script for bench/run.sh: after the run, print one machine-readable line (latencies in us).
-- errors: connect/read/write/timeout are socket errors; status counts responses >= 400.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50.0), latency:percentile(99.0)))
end

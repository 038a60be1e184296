#!/usr/bin/env python3
"""Turn bench/run.sh's raw measurements into a table (stdout) and markdown (a file, optionally a
README.md section between the markers <!-- bench:begin --> and <!-- bench:end -->).

Inputs (written by run.sh, one line per record, tab- or space-separated key=value tokens; a bare
word such as "ready" prefixes the keys that follow it, giving ready_held=...):
  --results  PROXY round=R cpu_us=U requests=N duration_us=D connect= read= write= timeout= status=
             p50_us= p99_us=          (one line per wrk run)
  --idle     PROXY rss_base_kb= rss_ready_kb= rss_idle_kb= ready held= failed= done held= closed_by_peer=
  --meta     key=value lines (date, host, load, idle, backend, version_*, status_*)
  --latency  PROXY round=R level=50|80 cpu_us=U requests=N duration_us=D errors= status= late=
             reconnects= rate= p50_us= p90_us= p99_us= p999_us= max_us=   (bench/loadgen, open loop)
  --det      PROXY n=N sc_idle=C sc_idle_ms=MS sc_load=C sc_load_ms=MS ir_load=I ir_base=I ...
Per proxy: medians over rounds of req/s, proxy CPU microseconds per request and p99 latency; the
sum of errors over rounds; resident memory before and with the idle connections; user-space
instructions (callgrind) and system calls (strace) per request; open-loop latency percentiles
(medians over rounds) at 50% and 80% of the saturation rate.
"""
import argparse
import re
import statistics
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def parse_records(path):
    """Return [(proxy, {key: value})] from a run.sh record file."""
    out = []
    with open(path) as f:
        for line in f:
            tokens = line.split()
            if not tokens:
                continue
            rec, prefix = {}, ""
            for tok in tokens[1:]:
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    rec[prefix + k] = v
                else:
                    prefix = tok + "_"
            out.append((tokens[0], rec))
    return out


def parse_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def summarize_det(det, row, p):
    """Instructions and system calls per request from the deterministic runs."""
    for name, r in det:
        if name != p:
            continue
        n = int(r["n"])
        if not n:
            continue
        ir_load, ir_base = int(r["ir_load"]), int(r["ir_base"])
        if ir_load and ir_base:
            row["instr"] = (ir_load - ir_base) / n
        idle_ms = int(r["sc_idle_ms"]) or 1
        idle_rate = int(r["sc_idle"]) / idle_ms
        calls = int(r["sc_load"]) - idle_rate * int(r["sc_load_ms"])
        if int(r["sc_load"]):
            row["syscalls"] = calls / n


def summarize_latency(lat, row, p):
    for level in ("50", "80"):
        runs = [r for name, r in lat if name == p and r.get("level") == level]
        if not runs:
            continue
        row[f"rate{level}"] = int(statistics.median(int(r["rate"]) for r in runs))
        for k in ("p50", "p99", "p999"):
            row[f"{k}_{level}"] = statistics.median(int(r[k + "_us"]) / 1000.0 for r in runs)
        cpu = [int(r["cpu_us"]) / int(r["requests"]) for r in runs if int(r["requests"])]
        row[f"cpu_{level}"] = statistics.median(cpu) if cpu else None
        row[f"bad_{level}"] = sum(int(r["errors"]) + int(r["status"]) + int(r["late"]) for r in runs)


def summarize(results, idle, proxies, lat=(), det=()):
    """Return {proxy: {metric: value or None}}."""
    rows = {}
    for p in proxies:
        runs = [r for name, r in results if name == p]
        row = {"rounds": len(runs)}
        rps, cpu, p99, errors = [], [], [], 0
        for r in runs:
            n = int(r["requests"])
            dur = int(r["duration_us"]) / 1e6
            rps.append(n / dur if dur else 0.0)
            if n:
                cpu.append(int(r["cpu_us"]) / n)
            p99.append(int(r["p99_us"]) / 1000.0)
            errors += sum(int(r[k]) for k in ("connect", "read", "write", "timeout", "status"))
        row["rps"] = statistics.median(rps) if rps else None
        row["cpu"] = statistics.median(cpu) if cpu else None
        row["p99"] = statistics.median(p99) if p99 else None
        row["errors"] = errors if runs else None
        ir = [r for name, r in idle if name == p]
        if ir:
            r = ir[-1]
            row["rss_base"] = int(r["rss_base_kb"]) / 1024.0
            row["rss_idle"] = int(r["rss_idle_kb"]) / 1024.0
            held = int(r.get("ready_held", 0))
            row["held"] = held
            row["per_conn"] = ((int(r["rss_idle_kb"]) - int(r["rss_base_kb"])) / held) if held else None
            if "rss_ready_kb" in r:
                row["per_conn_ready"] = ((int(r["rss_ready_kb"]) - int(r["rss_base_kb"])) / held) if held else None
        summarize_det(det, row, p)
        summarize_latency(lat, row, p)
        rows[p] = row
    return rows


COLUMNS = [  # key, header, format
    ("rps", "req/s", "{:,.0f}"),
    ("cpu", "CPU us/req", "{:.1f}"),
    ("instr", "instr/req", "{:,.0f}"),
    ("syscalls", "syscalls/req", "{:.2f}"),
    ("p99", "p99 ms", "{:.2f}"),
    ("errors", "errors", "{:d}"),
    ("rss_base", "RSS MB", "{:.1f}"),
    ("rss_idle", "RSS MB, idle conns", "{:.1f}"),
    ("per_conn", "kB/idle conn", "{:.2f}"),
    ("per_conn_ready", "kB/conn at setup", "{:.2f}"),
    ("held", "idle conns held", "{:d}"),
]
RATIO_KEYS = ("rps", "cpu", "instr", "syscalls", "p99", "rss_base", "rss_idle", "per_conn", "per_conn_ready")

LAT_COLUMNS = [  # open-loop latency table
    ("rate50", "req/s @50%", "{:,d}"),
    ("p50_50", "p50 ms", "{:.2f}"),
    ("p99_50", "p99 ms", "{:.2f}"),
    ("p999_50", "p99.9 ms", "{:.2f}"),
    ("cpu_50", "CPU us/req", "{:.1f}"),
    ("rate80", "req/s @80%", "{:,d}"),
    ("p50_80", "p50 ms", "{:.2f}"),
    ("p99_80", "p99 ms", "{:.2f}"),
    ("p999_80", "p99.9 ms", "{:.2f}"),
    ("cpu_80", "CPU us/req", "{:.1f}"),
    ("bad", "late+errors", "{:d}"),
]
LAT_RATIO_KEYS = ("p50_50", "p99_50", "p999_50", "cpu_50", "p50_80", "p99_80", "p999_80", "cpu_80")


def table(rows, proxies, meta, columns=COLUMNS, ratio_keys=RATIO_KEYS):
    """Return the table as a list of rows of strings (header first)."""
    COLUMNS = columns
    RATIO_KEYS = ratio_keys
    head = ["proxy"] + [h for _, h, _ in COLUMNS]
    body = []
    for p in proxies:
        row = rows[p]
        status = meta.get("status_" + p)
        if status and not row["rounds"]:
            body.append([p, "n/a (" + status + ")"] + [""] * (len(COLUMNS) - 1))
            continue
        cells = [p + (" (" + status + ")" if status else "")]
        for key, _, fmt in COLUMNS:
            v = row.get(key)
            cells.append("-" if v is None else fmt.format(v))
        body.append(cells)
    if "tandem" in rows:
        for other in ("tandem-base", "haproxy", "nginx"):
            if other not in rows:
                continue
            cells = [f"tandem/{other}"]
            for key, _, _ in COLUMNS:
                a, b = rows["tandem"].get(key), rows[other].get(key)
                ok = key in RATIO_KEYS and a is not None and b
                cells.append(f"{a / b:.2f}x" if ok else "")
            body.append(cells)
    # the rules row: tandem with 20 ACLs and 10 rules against HAProxy with the same, and
    # against tandem without them (what the rules cost tandem); the stick row likewise
    for a, b in (("tandem-rules", "haproxy-rules"), ("tandem-rules", "tandem"),
                 ("tandem-stick", "haproxy-stick"), ("tandem-stick", "tandem")):
        if a in rows and b in rows:
            cells = [f"{a}/{b}"]
            for key, _, _ in COLUMNS:
                x, y = rows[a].get(key), rows[b].get(key)
                ok = key in RATIO_KEYS and x is not None and y
                cells.append(f"{x / y:.2f}x" if ok else "")
            body.append(cells)
    return [head] + body


def render_text(t):
    widths = [max(len(r[i]) for r in t) for i in range(len(t[0]))]
    lines = []
    for n, r in enumerate(t):
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(t):
    out = [
        "| " + " | ".join(t[0]) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(t[0]) - 1)) + "|",
    ]
    return out + ["| " + " | ".join(r) + " |" for r in t[1:]]


def verdict(rows):
    """One sentence per load level: is tandem's p99 at or below HAProxy's?"""
    t, h = rows.get("tandem"), rows.get("haproxy")
    if not t or not h:
        return []
    out = []
    for level in ("50", "80"):
        a, b = t.get(f"p99_{level}"), h.get(f"p99_{level}")
        if a is None or b is None:
            continue
        word = "at or below" if a <= b else "ABOVE"
        out.append(f"p99 at {level}%: tandem {a:.2f} ms, haproxy {b:.2f} ms: tandem {word} haproxy.")
    return out


def render_markdown(t, meta, lt=None, verdicts=()):
    out = [
        f"Measured {meta.get('date', '?')} on {meta.get('host', '?')}.",
        f"Load: {meta.get('load', '?')}; memory: {meta.get('idle', '?')}; backends: {meta.get('backend', '?')}.",
        f"Instructions (callgrind) and system calls (strace) per request: {meta.get('det', '?')}.",
        "Versions: " + "; ".join(v for k, v in meta.items() if k.startswith("version_")) + ".",
        "",
    ]
    out += md_table(t)
    if lt:
        out += ["", f"Latency, open loop: {meta.get('latency', '?')}.", ""]
        out += md_table(lt)
        if verdicts:
            out += [""] + [" ".join(verdicts)]
    out += [
        "",
        "Ratios are tandem divided by the other proxy: above 1 is better for req/s, below 1 is better "
        "for CPU, instructions, system calls, latency and memory. Method: bench/README.md.",
    ]
    return "\n".join(out) + "\n"


def replace_readme(path, md):
    with open(path) as f:
        text = f.read()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        print(f"report: no {BEGIN} ... {END} section in {path}; left unchanged", file=sys.stderr)
        return
    text = pattern.sub(lambda _: BEGIN + "\n" + md + END, text, count=1)
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--idle", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--latency")
    ap.add_argument("--det")
    ap.add_argument("--proxies", required=True)
    ap.add_argument("--markdown", required=True)
    ap.add_argument("--readme")
    a = ap.parse_args()
    proxies = a.proxies.split()
    meta = parse_meta(a.meta)
    lat = parse_records(a.latency) if a.latency else []
    det = parse_records(a.det) if a.det else []
    rows = summarize(parse_records(a.results), parse_records(a.idle), proxies, lat, det)
    for row in rows.values():
        bad = [row.get(f"bad_{lv}") for lv in ("50", "80") if row.get(f"bad_{lv}") is not None]
        row["bad"] = sum(bad) if bad else None
    t = table(rows, proxies, meta)
    lt = table(rows, proxies, meta, LAT_COLUMNS, LAT_RATIO_KEYS) if lat else None
    verdicts = verdict(rows)
    print()
    print(render_text(t))
    print()
    if lt:
        print(render_text(lt))
        print()
        for v in verdicts:
            print(v)
        print()
    md = render_markdown(t, meta, lt, verdicts)
    with open(a.markdown, "w") as f:
        f.write(md)
    print(f"(markdown: {a.markdown})")
    if a.readme:
        replace_readme(a.readme, md)
        print(f"(README section updated: {a.readme})")


if __name__ == "__main__":
    main()

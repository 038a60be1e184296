#!/usr/bin/env python3
"""Run tandem's network-namespace tests: every function test_* of
tests/netns/test_*.py, one at a time (they measure time).

  python3 tests/netns/run.py [-k PATTERN]        env: TANDEM_BIN_DIR (default bin),
                                                 NETNS_KEEP=1 keeps the logs of passed tests

Prints "PASS module.name" or "FAIL module.name: reason" per test, and the
tests' "INFO ..." lines; measurements go to tests/out/netns-<module>.json.
Needs root (namespaces, raw sockets), iproute2 and keepalived: a missing
one is a FAIL line, never a skip. Each test gets a fresh Lab that is torn
down whatever happens, also on SIGTERM/SIGINT (the runner exits then).
Exit status 1 if anything failed.
"""
import argparse
import importlib
import inspect
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import lab  # noqa: E402

TEST_TIMEOUT = 60   # seconds per test (SIGALRM)
_current = []       # the running test's Env, for the signal handlers


class Timeout(Exception):
    pass


def _stop(signum, _frame):
    for env in _current:
        env.close()
    print("FAIL netns: interrupted by signal %d" % signum, flush=True)
    os._exit(1)


def _alarm(_signum, _frame):
    raise Timeout("test took more than %ds" % TEST_TIMEOUT)


def prerequisites():
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces and raw sockets)")
    for tool in ("ip", "keepalived"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
            missing.append(tool)
    return missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="")
    args = ap.parse_args()
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    missing = prerequisites()
    if missing:
        print("FAIL netns: missing %s (tools/deps.sh test installs the tools)" % ", ".join(missing))
        return 1
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGALRM, _alarm)
    lab.sweep_stale()
    failed = 0
    outdir = os.path.join(ROOT, "tests", "out")
    os.makedirs(outdir, exist_ok=True)
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        modname = fn[:-3]
        mod = importlib.import_module(modname)
        short = modname[5:]
        tests = sorted((f.__code__.co_firstlineno, n, f) for n, f in vars(mod).items()
                       if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == modname)
        for _, name, f in tests:
            full = "%s.%s" % (short, name[5:])
            if args.k and args.k not in full:
                continue
            work = tempfile.mkdtemp(prefix="tandem-netns-")
            env = None
            t0 = time.monotonic()
            try:
                signal.alarm(TEST_TIMEOUT)
                env = mod.Env(work)
                _current.append(env)
                f(env)
                signal.alarm(0)
                bad = env.sanitizer_reports()
                if bad:
                    raise RuntimeError("sanitizer report in the output of %s" % ", ".join(bad))
                print("PASS %s (%.1fs)" % (full, time.monotonic() - t0), flush=True)
                if os.environ.get("NETNS_KEEP"):
                    print("    (logs kept in %s)" % work, flush=True)
                else:
                    shutil.rmtree(work, ignore_errors=True)
            except Exception as e:  # noqa: BLE001 (every failure is reported)
                signal.alarm(0)
                failed += 1
                print("FAIL %s: %s" % (full, str(e).splitlines()[0] if str(e) else type(e).__name__), flush=True)
                where = traceback.extract_tb(e.__traceback__)[-3:]
                detail = str(e).splitlines()[1:] + ["at %s:%d in %s" % (os.path.basename(w.filename), w.lineno, w.name)
                                                    for w in where]
                for line in detail:
                    print("    " + line)
                print("    (logs kept in %s)" % work, flush=True)
            finally:
                if env:
                    env.close()
                    _current.remove(env)
        if getattr(mod, "MEASURES", None):
            with open(os.path.join(outdir, "netns-%s.json" % short), "w") as out:
                json.dump(mod.MEASURES, out, indent=1, sort_keys=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Run tandem's black-box tests: every function test_* in tests/integ/test_*.py.

  python3 tests/integ/run.py [-k PATTERN] [-j JOBS] [-v]

Each test runs in its own child process (its own process group, so a hung
test and everything it started can be stopped), at most JOBS (default 2) at a
time; tests marked @serial run afterwards, one at a time. Results print in
discovery order, whatever order they finish in:
  PASS module.name
  FAIL module.name: reason      (followed by indented details)
  SKIP module.name: reason      (only under PROXY=haproxy)
  XFAIL / XPASS module.name: .. (only under PROXY=haproxy, for tests marked
                                 @haproxy_differs: HAProxy is known to differ)
Exit status 1 if any test failed. -k keeps tests whose "module.name" contains
PATTERN (or matches it as a glob when it has * or ?).
"""
import argparse
import concurrent.futures
import fnmatch
import importlib
import inspect
import os
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

DEFAULT_TIMEOUT = 60


def short_module(modname):
    return modname[5:] if modname.startswith("test_") else modname


def discover():
    """[(full_name, module_name, func_name, timeout, serial)] in file order."""
    tests = []
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        modname = fn[:-3]
        mod = importlib.import_module(modname)
        funcs = []
        for name, f in vars(mod).items():
            if name.startswith("test_") and inspect.isfunction(f) and f.__module__ == modname:
                funcs.append((f.__code__.co_firstlineno, name, f))
        for _, name, f in sorted(funcs):
            full = "%s.%s" % (short_module(modname), name[5:])
            tests.append((full, modname, name, getattr(f, "timeout", DEFAULT_TIMEOUT),
                          getattr(f, "serial", False)))
    return tests


def selected(full, pattern):
    if not pattern:
        return True
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatch(full, pattern)
    return pattern in full


def run_one(modname, funcname, full):
    """Child side: run one test, print a last line "RESULT PASS|FAIL|SKIP reason"."""
    mod = importlib.import_module(modname)
    ctx = harness.Ctx(full)
    status, reason, detail = "PASS", "", ""
    t0 = time.monotonic()
    try:
        getattr(mod, funcname)(ctx)
    except harness.Skip as e:
        status, reason = "SKIP", str(e)
    except harness.TestFailure as e:
        status, reason = "FAIL", str(e)
        # where in the test it failed: the frames inside test modules
        frames = [f for f in traceback.extract_tb(e.__traceback__)
                  if os.path.basename(f.filename).startswith("test_")]
        detail = "".join(traceback.format_list(frames[-3:]))
    except Exception as e:
        status, reason = "FAIL", "%s: %s" % (type(e).__name__, e)
        detail = traceback.format_exc()
    try:
        report, sanitizer = ctx.stop_all()
    except Exception as e:
        report, sanitizer = ["stopping the test's processes failed: %r" % e], []
    if sanitizer and status != "FAIL":
        status, reason = "FAIL", "sanitizer report: " + sanitizer[0]
    elif sanitizer:
        report += ["sanitizer report: " + x for x in sanitizer]
    report += ctx.cleanup(status == "FAIL")
    differs = getattr(getattr(mod, funcname), "haproxy_differs", None)
    if differs and harness.is_haproxy():
        if status == "FAIL":
            status, reason = "XFAIL", "%s (%s)" % (differs, reason.split("\n")[0][:300])
        elif status == "PASS":
            status, reason = "XPASS", "passed although HAProxy is expected to differ: " + differs
    if status == "SKIP" and harness.PROXY != "haproxy":
        status = "FAIL"   # nothing may be skipped silently in a real run
    if status == "FAIL":
        for n in ctx.notes:
            print("note: " + n)
        for line in report:
            print(line)
        if detail:
            print(detail)
    print("elapsed %.2fs" % (time.monotonic() - t0))
    sys.stdout.flush()
    reason = " ".join(reason.split("\n")[:1])[:500] if status != "FAIL" else reason.replace("\n", "\n    ")
    print("RESULT %s %s" % (status, reason))
    return 0 if status != "FAIL" else 1


def spawn_child(test):
    """Parent side: run <test> in a child; returns (status, reason, output)."""
    full, modname, funcname, timeout, _ = test
    t0 = time.monotonic()
    argv = [sys.executable, os.path.abspath(__file__), "--one", "%s:%s:%s" % (modname, funcname, full)]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The child's own group holds the test and what it started.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = p.communicate()
        return "FAIL", "test timed out after %ds" % timeout, out.decode("utf-8", "replace")
    text = out.decode("utf-8", "replace")
    # Stop anything the test left in its group (it should have stopped all).
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    marker = text.rfind("RESULT ")
    if marker < 0 or (marker > 0 and text[marker - 1] != "\n"):
        return "FAIL", "test process exited %s without a result" % p.returncode, text
    res = text[marker + 7:].rstrip("\n")
    status, _, reason = res.partition(" ")
    if status == "PASS" and not reason:
        reason = "(%.1fs)" % (time.monotonic() - t0)   # where the suite's time goes
    return status, reason, text[:marker]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="pattern", default="")
    ap.add_argument("-j", dest="jobs", type=int, default=2)
    ap.add_argument("-v", dest="verbose", action="store_true", help="show output of passing tests too")
    ap.add_argument("--one", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--skip", default="", help="comma-separated modules to leave out (CI's second build runs "
                    "the slow real-server suites only once); the run says which")
    a = ap.parse_args()
    if a.one:
        modname, funcname, full = a.one.split(":", 2)
        sys.exit(run_one(modname, funcname, full))

    tests = [t for t in discover() if selected(t[0], a.pattern)]
    skip = [m for m in a.skip.split(",") if m]
    if skip:
        left = [t for t in tests if t[0].split(".", 1)[0] in skip]
        tests = [t for t in tests if t[0].split(".", 1)[0] not in skip]
        print("# integ: %d tests of %s left out (--skip: they run in the other build)" % (len(left), ",".join(skip)))
    if a.list:
        for t in tests:
            print(t[0])
        return 0
    if not tests:
        print("FAIL integ: no test matches %r" % a.pattern)
        return 1
    print("# integ: %d tests, proxy=%s, bin=%s, app=%s" % (len(tests), harness.PROXY, harness.BIN_DIR, harness.APP_KIND))
    sys.stdout.flush()
    parallel = [t for t in tests if not t[4]]
    serial = [t for t in tests if t[4]]
    failed = 0
    order = parallel + serial
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = {t[0]: ex.submit(spawn_child, t) for t in parallel}
        results = {}
        # serial ones start only once every parallel one is done
        for t in order:
            if t[4] and t[0] not in futs:
                for f in futs.values():
                    f.result()
                results[t[0]] = spawn_child(t)
            else:
                results[t[0]] = futs[t[0]].result()
            status, reason, output = results[t[0]]
            if status == "FAIL":
                failed += 1
                print("FAIL %s: %s" % (t[0], reason))
            else:
                print("%s %s%s" % (status, t[0], (" " + reason) if status == "PASS" and reason.startswith("(")
                                     else (": " + reason) if status != "PASS" else ""))
            if status == "FAIL" or a.verbose:
                for line in output.rstrip("\n").splitlines():
                    print("    " + line)
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The one check mechanism of the Python suites: soft checks, collected per test.

`check(name, condition, detail)` records a passed or failed check in the collector of the running test (the
autouse `checks` fixture of Tests/conftest.py installs it). A failed check does not stop the test, so one run
reports every broken property; the test fails at its end with all failed checks listed (Tests/conftest.py,
pytest_runtest_call). Every check can fail: its condition is evaluated as given.
"""
import sys
import threading


class Checks:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failures = []
        self.notes = []  # things a check could not look at here (printed, never counted as passed)
        self._lock = threading.Lock()

    def __call__(self, name, condition, detail=""):
        with self._lock:
            if condition:
                self.passed += 1
            else:
                self.failures.append(f"{name}: {detail}" if detail else name)
                print(f"FAIL {name}: {detail}", file=sys.stderr, flush=True)
        return bool(condition)

    def note(self, name, why):
        with self._lock:
            self.notes.append(f"{name}: {why}")
        print(f"not checked here: {name}: {why}", flush=True)

    def summary(self):
        return f"{self.passed} passed, {len(self.failures)} failed"


_current = None


def install(collector):
    global _current
    _current = collector


def current():
    if _current is None:
        raise RuntimeError("check() outside a running test (the autouse `checks` fixture installs a collector)")
    return _current


def check(name, condition, detail=""):
    """Soft check in the running test; returns whether it held."""
    return current()(name, condition, detail)


def note(name, why):
    """Something this environment cannot check (kernel, missing tool): listed in the summary, not a pass."""
    current().note(name, why)

"""Fixtures of the Python suites, one pytest run over Tests/contract, Tests/resilience and Tests/deploy (`make test`).

Real processes over loopback, as before: the built binary (SIGNING_GATEWAY_BIN, else .build/debug) runs the
simulator and the gateways. Fixtures:
  work          the test's own directory (pytest's tmp_path; kept when the test failed, see pytest.ini)
  simulator     `signing-gateway simulate` on a free port, data directory `work`; stopped at teardown
  gateway       factory: gateway(name=, port=, upstream_timeout_ms=, start=, **config) -> a started gateway on
                the simulator (static `dev` profile); every one is stopped at teardown; logs in `work`
  postgres_url  SIGNING_GATEWAY_TEST_POSTGRES_URL (`make test` starts a throw-away server); missing = failure
  postgres_database  factory: a fresh database on that server, its URL
  subscriber    a scriptable loopback webhook subscriber (support.events.Subscriber); closed at teardown
  checks        autouse: the collector behind support.check(); a test with a failed check fails at its end,
                listing every failed check
When a test fails, the tails of its processes' logs are attached to the report and `work` is kept.
"""
import os
import subprocess
import sys
import urllib.parse
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import checks as checks_module  # noqa: E402
from support.processes import BINARY, Gateway, Simulator, free_port, gateway_config  # noqa: E402

LOG_TAIL_LINES = 80
_tally = []  # (nodeid, passed checks, failed checks, notes) of every test run


# ---------- Soft checks ----------
@pytest.fixture(autouse=True)
def checks(request):
    collector = checks_module.Checks(request.node.nodeid)
    checks_module.install(collector)
    yield collector
    checks_module.install(None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    collector = getattr(item, "funcargs", {}).get("checks")
    try:
        result = yield
    except BaseException as error:
        if collector is not None:
            _tally.append((item.nodeid, collector.passed, len(collector.failures), list(collector.notes)))
            if collector.failures:
                error.add_note(f"and {len(collector.failures)} failed checks before it:\n  "
                               + "\n  ".join(collector.failures))
        raise
    if collector is not None:
        _tally.append((item.nodeid, collector.passed, len(collector.failures), list(collector.notes)))
        if collector.failures:
            pytest.fail(f"{len(collector.failures)} of {collector.passed + len(collector.failures)} checks failed:\n  "
                        + "\n  ".join(collector.failures), pytrace=False)
    return result


# ---------- Logs of the processes, on failure ----------
_LOGS = pytest.StashKey[list]()  # (label, path) of every process log of a test


def _keep_log(request, label, path):
    request.node.stash.setdefault(_LOGS, []).append((label, path))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for label, path in item.stash.get(_LOGS, []):
            try:
                with open(path, errors="replace") as handle:
                    lines = handle.readlines()
            except OSError as error:
                report.sections.append((f"{label} log", f"{path}: {error}"))
                continue
            tail = "".join(lines[-LOG_TAIL_LINES:])
            report.sections.append((f"{label} log, last {min(len(lines), LOG_TAIL_LINES)} lines ({path})", tail))
    return report


# ---------- Processes ----------
@pytest.fixture
def work(tmp_path):
    return str(tmp_path)


@pytest.fixture
def simulator(request, work):
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"no signing-gateway binary at {BINARY} (build it, or set SIGNING_GATEWAY_BIN)", pytrace=False)
    sim = Simulator(work)
    _keep_log(request, "simulator", sim.log_path)
    yield sim
    sim.stop()


@pytest.fixture
def gateway(request, work, simulator):
    """Factory of gateways on `simulator`: gateway(name="gateway", port=None, upstream_timeout_ms=None,
    start=True, **config) writes `<work>/<name>.json` (gateway_config plus `config`), starts `serve` and waits
    for /healthz (start=False leaves that to the test). The same port and data directory can be reused to
    restart on the same store; every gateway made is stopped at teardown."""
    made = []

    def make(name="gateway", port=None, upstream_timeout_ms=None, start=True, **config):
        settings = gateway_config(work, simulator.port, port or free_port(), **config)
        if upstream_timeout_ms is not None:
            settings["upstream"]["timeoutMilliseconds"] = upstream_timeout_ms
        gw = Gateway(work, name, settings)
        made.append(gw)
        _keep_log(request, name, gw.log_path)
        if start:
            gw.start()
        return gw

    yield make
    for gw in made:
        gw.stop()


@pytest.fixture
def subscriber():
    from support.events import Subscriber

    sub = Subscriber()
    yield sub
    sub.close()


# ---------- PostgreSQL ----------
@pytest.fixture
def postgres_url():
    url = os.environ.get("SIGNING_GATEWAY_TEST_POSTGRES_URL")
    if not url:
        # A failure, never a skip: the PostgreSQL variants are part of the suite.
        pytest.fail("SIGNING_GATEWAY_TEST_POSTGRES_URL is not set: run `make test`, which starts PostgreSQL "
                    "(or `bash scripts/test-postgres.sh start` and source .build-pg/env)", pytrace=False)
    return url


@pytest.fixture
def postgres_database(postgres_url):
    """Factory: a new database on the test server, named per call (as a replica set would share one); its URL."""

    def make(prefix="sg_test_"):
        name = prefix + uuid.uuid4().hex[:12]
        parsed = urllib.parse.urlparse(postgres_url)
        admin = parsed._replace(path="/postgres").geturl()
        bins = sorted(os.popen("ls -d /usr/lib/postgresql/*/bin 2>/dev/null").read().split())
        psql = next((os.path.join(d, "psql") for d in bins if os.path.exists(os.path.join(d, "psql"))), "psql")
        subprocess.run([psql, admin, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        return parsed._replace(path="/" + name).geturl()

    return make


# ---------- Summary ----------
def pytest_terminal_summary(terminalreporter):
    if not _tally:
        return
    passed = sum(row[1] for row in _tally)
    failed = sum(row[2] for row in _tally)
    terminalreporter.write_sep("-", "checks")
    for nodeid, p, f, _ in _tally:
        terminalreporter.write_line(f"{nodeid}: {p} passed, {f} failed")
    notes = [(nodeid, text) for nodeid, _, _, texts in _tally for text in texts]
    for nodeid, text in notes:
        terminalreporter.write_line(f"not checked here: {nodeid}: {text}")
    terminalreporter.write_line(f"checks: {passed} passed, {failed} failed in {len(_tally)} tests"
                                + (f"; {len(notes)} not checked here (listed above)" if notes else ""))

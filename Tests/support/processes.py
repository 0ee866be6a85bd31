"""Real processes over loopback: the binary, free ports, one `http()`, readiness, the simulator, a gateway's
configuration and process, and the simulator's admin views. Shared by every suite (Tests/conftest.py builds its
fixtures from these)."""
import functools
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("SIGNING_GATEWAY_BIN", os.path.join(ROOT, ".build", "debug", "signing-gateway"))
DEMO_A = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"
DEMO_B = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02"
DEMO_C = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a03"
DEMO_E = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a05"
JSON = {"Content-Type": "application/json"}


@functools.cache
def gateway_spec():
    """The gateway's openapi.yaml, parsed."""
    with open(os.path.join(ROOT, "openapi.yaml")) as handle:
        return yaml.safe_load(handle)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=15):
    """(status, headers, text) of one request; an HTTP error status is an answer, not an exception."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class ProcessExited(RuntimeError):
    """A process under test ended before it was ready."""


def wait_ready(url, process, deadline=60):
    """Readiness probe: poll the health route until it answers or the process dies."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise ProcessExited(f"process exited early ({process.returncode}): {process.args}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.05)
    raise ProcessExited(f"not ready after {deadline} s: {url}")


def wait_for(condition, deadline=20, interval=0.05, what="condition"):
    """Polls `condition` until it returns a truthy value or the deadline passes; returns the last value."""
    end = time.monotonic() + deadline
    value = None
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return value


def stop(*processes):
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_simulator(work, port, log):
    """`signing-gateway simulate` on `port`, ready; the token it accepts is in `work/simulator.token`."""
    process = subprocess.Popen([BINARY, "simulate", "--port", str(port), "--data-dir", work],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/_simulator/instances", process)
    except BaseException:
        stop(process)
        raise
    return process


def gateway_config(work, sim_port, gw_port, **extra):
    """A gateway on the simulator with a static `dev` profile reading the simulator's token."""
    config = {
        "port": gw_port,
        "dataDirectory": work,
        "upstream": {"environment": f"http://127.0.0.1:{sim_port}", "timeoutMilliseconds": 5000},
        "tokenProfiles": {"dev": {"kind": "static", "tokenFile": os.path.join(work, "simulator.token")}},
        "defaultTokenProfile": "dev",
    }
    config.update(extra)
    return config


class Simulator:
    """`signing-gateway simulate` in `work` (its data directory, shared with the gateways of the test)."""

    def __init__(self, work):
        self.work = str(work)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.work, "simulator.log")
        self._log = open(self.log_path, "w")
        self.process = start_simulator(self.work, self.port, self._log)

    @property
    def token(self):
        return open(os.path.join(self.work, "simulator.token")).read().strip()

    def new_instance(self, template="A"):
        answer = http("POST", self.url + "/_simulator/instances", json.dumps({"template": template}), JSON)
        return json.loads(answer[2])["id"]

    def log_text(self):
        self._log.flush()
        return open(self.log_path).read()

    def stop(self):
        stop(self.process)
        self._log.close()


class Gateway:
    """`signing-gateway serve --config <work>/<name>.json`; output appended to `<work>/<name>.log` over restarts."""

    def __init__(self, work, name, config):
        self.work = str(work)
        self.name = name
        self.config = config
        self.port = config["port"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = os.path.join(self.work, f"{name}.json")
        self.log_path = os.path.join(self.work, f"{name}.log")
        with open(self.config_path, "w") as handle:
            json.dump(config, handle)
        self.process = None

    def start(self, wait=True):
        """Starts the process; with `wait`, returns once /healthz answers."""
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen([BINARY, "serve", "--config", self.config_path],
                                            stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        wait_ready(self.url + "/healthz", self.process)

    def kill(self):
        """SIGKILL, and reap it."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        stop(self.process)

    def client_key(self):
        """The dev client key the gateway made in its data directory (no clients configured)."""
        return open(os.path.join(self.work, "dev-client.key")).read().strip()

    def log_text(self):
        return open(self.log_path).read() if os.path.exists(self.log_path) else ""


def run_binary(*args, timeout=60):
    """One CLI command of the binary (audit verify/export, config check, token check), output captured."""
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout)


def simulator_instances(sim):
    """The simulator's per-instance counters (never trimmed): id -> {signCalls, processNextCalls, ...}."""
    return {row["id"]: row for row in json.loads(http("GET", sim + "/_simulator/instances")[2])["instances"]}


def simulator_requests(sim):
    """(total, requests): `total` counts every app-API request the simulator ever received (never reset);
    `requests` is its bounded log of the last ones, oldest first."""
    body = json.loads(http("GET", sim + "/_simulator/requests")[2])
    return body["total"], body["requests"]


def requests_since(sim, total_before):
    """The app-API requests received since `total_before` was read, as far as the bounded log still holds them:
    (requests, complete). The simulator reads `total` before the log, so a request arriving in between shows
    in the log but not in `total`: taking the last `total - total_before` entries never reaches back before
    the mark (it may miss the very first of the window, then `complete` is still judged on the count)."""
    total, requests = simulator_requests(sim)
    new = total - total_before
    return (requests[-new:] if new > 0 else []), new <= len(requests)


def audit_records(config_path, operation="sign"):
    """`audit export`, grouped by idempotency key: key -> [records of `operation`]."""
    export = run_binary("audit", "export", "--config", config_path)
    audited = {}
    for line in export.stdout.splitlines():
        record = json.loads(line)
        if record["operation"] == operation:
            audited.setdefault(record["idempotencyKey"], []).append(record)
    return audited

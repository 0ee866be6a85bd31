#!/usr/bin/env python3
"""Crash safety over real processes: a gateway killed with SIGKILL in the middle of a burst of signs,
then restarted on the same SQLite file. Proves: every key signed at most once upstream, every call
acknowledged before the kill has its audit record, `audit verify` passes, and retries after the
restart never sign again. Ends with 'N passed, M failed'.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_contract import BINARY, check, finish, free_port, gateway_config, http, start_simulator, stop, wait_ready  # noqa: E402

BURST = 40
KILL_AFTER = 10


def start_gateway(config_path, log):
    process = subprocess.Popen([BINARY, "serve", "--config", config_path], stdout=log, stderr=subprocess.STDOUT)
    return process


def main():
    work = tempfile.mkdtemp(prefix="sg-crash-")
    sim_port, gw_port = free_port(), free_port()
    log = open(os.path.join(work, "processes.log"), "w")
    simulator = start_simulator(work, sim_port, log)
    gateway = None
    try:
        sim = f"http://127.0.0.1:{sim_port}"
        gw = f"http://127.0.0.1:{gw_port}"
        config = gateway_config(work, sim_port, gw_port, logLevel="warning")
        config_path = os.path.join(work, "gateway.json")
        json.dump(config, open(config_path, "w"))
        # Slow Altinn down so that some signs are in flight when the gateway dies.
        http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 150}), {"Content-Type": "application/json"})
        instances = [json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', {"Content-Type": "application/json"})[2])["id"] for _ in range(BURST)]

        gateway = start_gateway(config_path, log)
        wait_ready(gw + "/healthz", gateway)
        key_file = os.path.join(work, "dev-client.key")
        headers = {"Authorization": "Bearer " + open(key_file).read().strip(), "Content-Type": "application/json"}
        keys = [f"crash-{i}-{uuid.uuid4()}" for i in range(BURST)]
        bodies = [json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"}) for instance in instances]

        acknowledged = {}
        done = threading.Condition()

        def fire(i):
            try:
                status, _, text = http("POST", gw + "/v1/signatures", bodies[i], {**headers, "Idempotency-Key": keys[i]})
            except Exception:  # the connection dies with the gateway
                return
            with done:
                if status == 200:
                    acknowledged[keys[i]] = i
                done.notify_all()

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(BURST)]
        for thread in threads:
            thread.start()
        with done:
            done.wait_for(lambda: len(acknowledged) >= KILL_AFTER, timeout=60)
        os.kill(gateway.pid, signal.SIGKILL)
        gateway.wait()
        for thread in threads:
            thread.join(timeout=30)
        check("some calls were acknowledged before the kill", len(acknowledged) >= KILL_AFTER, str(len(acknowledged)))
        check("the kill interrupted the burst", len(acknowledged) < BURST, str(len(acknowledged)))

        gateway = start_gateway(config_path, log)
        wait_ready(gw + "/healthz", gateway)
        http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 0}), {"Content-Type": "application/json"})

        outcomes = {}
        for i in range(BURST):
            status, response_headers, text = http("POST", gw + "/v1/signatures", bodies[i], {**headers, "Idempotency-Key": keys[i]})
            kind = json.loads(text).get("type") if status != 200 else ("replayed" if response_headers.get("Idempotent-Replayed") == "true" else "fresh")
            outcomes[keys[i]] = (status, kind)
            if keys[i] in acknowledged:
                check(f"acknowledged key {i} replays", status == 200 and kind == "replayed", f"{status} {kind}")
            else:
                check(f"interrupted key {i} is never resent blindly", (status, kind) in {(200, "replayed"), (200, "fresh"), (409, "/problems/idempotency-key-in-use"), (409, "/problems/outcome-unknown")}, f"{status} {kind}")

        counts = {row["id"]: row["signCalls"] for row in json.loads(http("GET", sim + "/_simulator/instances")[2])["instances"]}
        for i, instance in enumerate(instances):
            check(f"instance {i} signed at most once", counts.get(instance, 0) <= 1, str(counts.get(instance)))
            if outcomes[keys[i]][1] == "fresh":
                check(f"fresh retry {i} had not signed before", counts.get(instance) == 1, str(counts.get(instance)))

        export = subprocess.run([BINARY, "audit", "export", "--config", config_path], capture_output=True, text=True, timeout=60)
        audited = {}
        for line in export.stdout.splitlines():
            record = json.loads(line)
            if record["operation"] == "sign":
                audited.setdefault(record["idempotencyKey"], []).append(record)
        for key, i in acknowledged.items():
            records = audited.get(key, [])
            check(f"acknowledged key {i} has exactly one audit record", len(records) == 1 and records[0]["outcome"] == "succeeded", str(records))
        verify = subprocess.run([BINARY, "audit", "verify", "--config", config_path], capture_output=True, text=True, timeout=60)
        check("audit verify passes after the crash", verify.returncode == 0, verify.stdout + verify.stderr)
    finally:
        stop(gateway, simulator)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

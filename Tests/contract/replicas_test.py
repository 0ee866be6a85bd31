#!/usr/bin/env python3
"""Two gateway replicas on one PostgreSQL database: the same Idempotency-Key fired at both at once
signs upstream at most once, and the shared audit chain verifies. Needs SIGNING_GATEWAY_TEST_POSTGRES_URL
(`make test` starts a throw-away server). Ends with 'N passed, M failed'.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_contract import BINARY, check, finish, free_port, gateway_config, http, start_simulator, stop, wait_ready  # noqa: E402

ROUNDS = 20


def main():
    url = os.environ.get("SIGNING_GATEWAY_TEST_POSTGRES_URL")
    if not url:
        print("SIGNING_GATEWAY_TEST_POSTGRES_URL is not set: run `make test`, which starts PostgreSQL", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    work = tempfile.mkdtemp(prefix="sg-replicas-")
    log = open(os.path.join(work, "processes.log"), "w")
    sim_port = free_port()
    processes = [start_simulator(work, sim_port, log)]
    try:
        sim = f"http://127.0.0.1:{sim_port}"
        gateways = []
        for replica in range(2):
            port = free_port()
            config = gateway_config(
                work, sim_port, port, logLevel="warning", storage={"engine": "postgres", "postgresURL": url})
            path = os.path.join(work, f"gateway-{replica}.json")
            json.dump(config, open(path, "w"))
            # Both replicas start at once: migrations must be safe under that.
            processes.append(subprocess.Popen([BINARY, "serve", "--config", path], stdout=log, stderr=subprocess.STDOUT))
            gateways.append((f"http://127.0.0.1:{port}", path))
        for (gw, _), process in zip(gateways, processes[1:]):
            wait_ready(gw + "/healthz", process)
        headers = {"Authorization": "Bearer " + open(os.path.join(work, "dev-client.key")).read().strip(),
                   "Content-Type": "application/json"}
        http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 50}), {"Content-Type": "application/json"})

        for round_ in range(ROUNDS):
            instance = json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', {"Content-Type": "application/json"})[2])["id"]
            body = json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"})
            key = f"replica-race-{uuid.uuid4()}"
            barrier = threading.Barrier(2)
            answers = [None, None]

            def fire(index):
                barrier.wait()
                status, response_headers, text = http("POST", gateways[index][0] + "/v1/signatures", body, {**headers, "Idempotency-Key": key})
                answers[index] = (status, response_headers.get("Idempotent-Replayed"), json.loads(text).get("type"))

            threads = [threading.Thread(target=fire, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            fresh = [a for a in answers if a and a[0] == 200 and a[1] is None]
            others = [a for a in answers if a and not (a[0] == 200 and a[1] is None)]
            check(f"round {round_}: exactly one replica signed", len(fresh) == 1, str(answers))
            check(f"round {round_}: the other replayed or saw the key in use",
                  all((a[0] == 200 and a[1] == "true") or a[2] == "/problems/idempotency-key-in-use" for a in others), str(answers))
            counts = {row["id"]: row["signCalls"] for row in json.loads(http("GET", sim + "/_simulator/instances")[2])["instances"]}
            check(f"round {round_}: Altinn saw one sign", counts.get(instance) == 1, str(counts.get(instance)))

        verify = subprocess.run([BINARY, "audit", "verify", "--config", gateways[0][1]], capture_output=True, text=True, timeout=120)
        check("shared audit chain verifies", verify.returncode == 0, verify.stdout + verify.stderr)
    finally:
        stop(*processes)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

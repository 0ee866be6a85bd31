#!/usr/bin/env python3
"""Crash safety of the outbox: with the subscriber down, a backlog of events across many instances; the gateway is
killed with SIGKILL while it retries, restarted on the same store, and the subscriber comes up. Proves: every
committed event (GET /v1/events) is delivered at least once with the same id, none is lost, nothing is left
pending, and per instance the first deliveries follow commit order. Ends with 'N passed, M failed'.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_contract  # noqa: E402
from run_contract import BINARY, check, finish, free_port, gateway_config, start_simulator, stop, wait_ready  # noqa: E402
from events_helpers import Subscriber, event_of, wait_for  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402

APP = "ttd/signing-app"
INSTANCES = 12  # template A: 4 signee.signed + 1 signing.completed each -> 60 events
PROCESSES = {}


def http(method, url, body=None, headers=None):
    """run_contract.http, but a refused connection says which process is gone instead of a bare traceback."""
    try:
        return run_contract.http(method, url, body, headers)
    except OSError as error:
        states = {name: process.poll() for name, process in PROCESSES.items()}
        raise SystemExit(f"{method} {url}: {error}; process exit codes (None = running): {states}")


def main():
    work = tempfile.mkdtemp(prefix="sg-events-crash-")
    sim_port, gw_port = free_port(), free_port()
    # The subscriber's port is held, bound but not listening, until the subscriber starts: connections to it are
    # refused, and the gateway's own outgoing connections cannot be given it as their local port meanwhile.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    sub_port = held.getsockname()[1]
    log = open(os.path.join(work, "processes.log"), "w")
    simulator = start_simulator(work, sim_port, log)
    PROCESSES["simulator"] = simulator
    gateway = subscriber = None
    try:
        sim = f"http://127.0.0.1:{sim_port}"
        gw = f"http://127.0.0.1:{gw_port}"
        # A long schedule: nothing may go dead while the subscriber is down. Short timeout: a short lease.
        config = gateway_config(work, sim_port, gw_port, logLevel="info", events={
            "deliverySchedule": ["300ms"] * 40, "deliveryJitter": 0, "deliveryTimeoutSeconds": 1,
            "allowedDestinations": ["127.0.0.0/8"]})
        config_path = os.path.join(work, "gateway.json")
        json.dump(config, open(config_path, "w"))

        def start_gateway():
            process = subprocess.Popen([BINARY, "serve", "--config", config_path], stdout=log, stderr=subprocess.STDOUT)
            wait_ready(gw + "/healthz", process)
            PROCESSES["gateway"] = process
            return process

        gateway = start_gateway()
        auth = {"Authorization": "Bearer " + open(os.path.join(work, "dev-client.key")).read().strip(),
                "Content-Type": "application/json"}
        # Nothing listens on sub_port yet: every attempt fails to connect.
        status, _, text = http("POST", gw + "/v1/subscriptions", json.dumps({"url": f"http://127.0.0.1:{sub_port}/s/crash"}), auth)
        check("subscription created", status == 201, f"{status} {text[:200]}")
        secret = json.loads(text)["secret"]
        sub_id = json.loads(text)["id"]

        instances = [json.loads(http("POST", sim + "/_simulator/instances", '{"template":"A"}', {"Content-Type": "application/json"})[2])["id"]
                     for _ in range(INSTANCES)]
        for instance in instances:
            status, _, text = http("POST", gw + "/v1/signatures", json.dumps({"app": APP, "instanceId": instance, "mode": "parallel", "track": False}),
                                   {**auth, "Idempotency-Key": str(uuid.uuid4())})
            check(f"sign {instance}", status == 200, f"{status} {text[:200]}")

        def feed():
            status, _, text = http("GET", gw + "/v1/events?limit=1000", None, auth)
            return json.loads(text) if status == 200 else []

        committed = feed()
        check("a backlog of at least 50 events", len(committed) >= 50, str(len(committed)))

        def pending():
            status, _, text = http("GET", gw + f"/v1/deliveries?status=pending&subscription={sub_id}&limit=1000", None, auth)
            return json.loads(text)["items"] if status == 200 else None

        # Wait until the dispatcher has failed on the backlog at least once (retrying, attempts > 0).
        retrying = wait_for(lambda: (lambda p: p if p and any(d["attempts"] > 0 for d in p) else None)(pending()), deadline=30)
        check("the dispatcher is retrying the backlog", bool(retrying))
        check("nothing delivered while the subscriber is down", all(d["status"] == "pending" for d in pending() or []))

        os.kill(gateway.pid, signal.SIGKILL)
        gateway.wait()
        gateway = start_gateway()
        held.close()
        subscriber = Subscriber(sub_port)

        committed_after = feed()
        check("the restart kept every event", [e["id"] for e in committed_after] == [e["id"] for e in committed],
              f"{len(committed)} -> {len(committed_after)}")
        ids = [e["id"] for e in committed]
        everything = wait_for(lambda: set(ids) <= {r["headers"].get("webhook-id") for r in subscriber.received(status=200)},
                              deadline=90, interval=0.2)
        received_ids = {r["headers"].get("webhook-id") for r in subscriber.received(status=200)}
        check("every committed event delivered after the restart", bool(everything), f"missing {len(set(ids) - received_ids)}")
        check("nothing delivered that was not committed", received_ids <= set(ids), str(received_ids - set(ids)))
        drained = wait_for(lambda: pending() == [], deadline=30)
        check("nothing left pending", bool(drained), str((pending() or [])[:2]))
        bad = 0
        for record in subscriber.received():
            try:
                Webhook(secret).verify(record["body"], record["headers"])
                if event_of(record)["id"] != record["headers"].get("webhook-id"):
                    bad += 1
            except Exception:  # noqa: BLE001
                bad += 1
        check("every delivery verifies and carries its event's id", bad == 0, str(bad))
        first_seen = list(dict.fromkeys(r["headers"].get("webhook-id") for r in subscriber.received()))
        for instance in instances:
            expected = [e["id"] for e in committed if e["resourceinstance"] == instance]
            check(f"{instance}: first deliveries in commit order", [i for i in first_seen if i in set(expected)] == expected)
        duplicates = len(subscriber.received()) - len(first_seen)
        check("the restarted gateway is still running", gateway.poll() is None, str(gateway.poll()))
        print(f"{len(ids)} events, {len(subscriber.received())} deliveries after the restart ({duplicates} repeats)")
    finally:
        stop(gateway, simulator)
        if subscriber:
            subscriber.close()
    return finish()


if __name__ == "__main__":
    sys.exit(main())

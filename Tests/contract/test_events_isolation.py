#!/usr/bin/env python3
"""Subscribers are isolated: one that answers slowly only delays its own deliveries. Two subscriptions get the
same five events of one instance (which must be delivered one after the other, in order); the slow subscriber
takes 2 s per answer, yet the fast one has all five before the slow one has finished its first. Real processes,
real loopback HTTP. Ends with 'N passed, M failed'.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from events_helpers import Subscriber, wait_for  # noqa: E402
from run_contract import BINARY, check, finish, free_port, gateway_config, http, start_simulator, stop, wait_ready  # noqa: E402

SLOW_SECONDS = 2.0


def main():
    work = tempfile.mkdtemp(prefix="sg-isolation-")
    sim_port, gw_port = free_port(), free_port()
    log = open(os.path.join(work, "processes.log"), "w")
    simulator = start_simulator(work, sim_port, log)
    subscriber = Subscriber()
    gateway = None
    try:
        config = gateway_config(work, sim_port, gw_port, logLevel="warning",
                                events={"allowedDestinations": ["127.0.0.0/8"], "deliveryTimeoutSeconds": 10})
        config_path = os.path.join(work, "gateway.json")
        json.dump(config, open(config_path, "w"))
        gateway = subprocess.Popen([BINARY, "serve", "--config", config_path], stdout=log, stderr=subprocess.STDOUT)
        wait_ready(f"http://127.0.0.1:{gw_port}/healthz", gateway)
        gw = f"http://127.0.0.1:{gw_port}"
        headers = {"Authorization": "Bearer " + open(os.path.join(work, "dev-client.key")).read().strip(),
                   "Content-Type": "application/json"}

        def slow(record, nth):
            time.sleep(SLOW_SECONDS)  # the subscriber is slow; the test never sleeps to synchronize
            return 200, {}, b""

        subscriber.behaviour["slow"] = slow
        for name in ("slow", "fast"):
            status, _, text = http("POST", gw + "/v1/subscriptions", json.dumps({"url": subscriber.url(name)}), headers)
            check(f"subscription {name} created", status == 201, text)
        instance = json.loads(http("POST", f"http://127.0.0.1:{sim_port}/_simulator/instances", '{"template":"A"}',
                                   {"Content-Type": "application/json"})[2])["id"]
        status, _, text = http("POST", gw + "/v1/signatures",
                               json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel",
                                           "track": False}),
                               {**headers, "Idempotency-Key": f"isolation-{uuid.uuid4()}"})
        check("sign answered 200", status == 200, text[:300])
        fast = wait_for(lambda: len(subscriber.received("fast")) >= 5 and subscriber.received("fast"), deadline=30)
        check("the fast subscriber got all five events", fast and len(fast) == 5, str(len(fast or [])))
        slow_done = wait_for(lambda: subscriber.received("slow"), deadline=30)
        check("the slow subscriber got its first event", bool(slow_done))
        if fast and slow_done:
            # `time` is when a request arrived; the slow one's first answer went out SLOW_SECONDS after its arrival.
            first_slow_answered = slow_done[0]["time"] + SLOW_SECONDS
            check("all five reached the fast subscriber before the slow one answered its first",
                  fast[-1]["time"] < first_slow_answered,
                  f"fast last at +{fast[-1]['time'] - slow_done[0]['time']:.2f}s after the slow one's first arrival")
            ids = [json.loads(record["body"])["id"] for record in fast]
            check("the fast subscriber got them in commit order, each once",
                  len(set(ids)) == 5 and ids == [e["id"] for e in json.loads(
                      http("GET", gw + "/v1/events?limit=100", None, headers)[2]) if e["resourceinstance"] == instance])
    finally:
        stop(gateway, simulator)
        subscriber.close()
    return finish()


if __name__ == "__main__":
    sys.exit(main())

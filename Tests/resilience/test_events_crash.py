"""Crash safety of the outbox: with the subscriber down, a backlog of events across many instances; the gateway is
killed with SIGKILL while it retries, restarted on the same store, and the subscriber comes up. Proves: every
committed event (GET /v1/events) is delivered at least once with the same id, none is lost, nothing is left
pending, and per instance the first deliveries follow commit order.
"""
import json
import socket
import uuid

from standardwebhooks import Webhook

import support
from support import check, wait_for
from support.events import Subscriber, event_of

APP = "ttd/signing-app"
INSTANCES = 12  # template A: 4 signee.signed + 1 signing.completed each -> 60 events
PROCESSES = {}


class ProcessGone(AssertionError):
    """A request was refused: one of the processes under test is gone."""


def http(method, url, body=None, headers=None):
    """support.http, but a refused connection says which process is gone instead of a bare traceback."""
    try:
        return support.http(method, url, body, headers)
    except OSError as error:
        states = {name: process.poll() for name, process in PROCESSES.items()}
        raise ProcessGone(f"{method} {url}: {error}; process exit codes (None = running): {states}") from error


def test_sigkill_with_a_backlog_loses_no_event(request, simulator, gateway):
    # The subscriber's port is held, bound but not listening, until the subscriber starts: connections to it are
    # refused, and the gateway's own outgoing connections cannot be given it as their local port meanwhile.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    request.addfinalizer(held.close)
    sub_port = held.getsockname()[1]
    PROCESSES.clear()
    PROCESSES["simulator"] = simulator.process
    sim = simulator.url
    # A long schedule: nothing may go dead while the subscriber is down. Short timeout: a short lease.
    server = gateway(logLevel="info", start=False, events={
        "deliverySchedule": ["300ms"] * 40, "deliveryJitter": 0, "deliveryTimeoutSeconds": 1,
        "allowedDestinations": ["127.0.0.0/8"]})
    gw = server.url

    def start_gateway():
        server.start()
        PROCESSES["gateway"] = server.process
        return server

    start_gateway()
    auth = {"Authorization": "Bearer " + server.client_key(), "Content-Type": "application/json"}
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

    server.kill()
    start_gateway()
    held.close()
    subscriber = Subscriber(sub_port)
    request.addfinalizer(subscriber.close)

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
    check("the restarted gateway is still running", server.process.poll() is None, str(server.process.poll()))
    print(f"{len(ids)} events, {len(subscriber.received())} deliveries after the restart ({duplicates} repeats)")

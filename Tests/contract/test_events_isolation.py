"""Subscribers are isolated: one that answers slowly only delays its own deliveries. Two subscriptions get the
same five events of one instance (which must be delivered one after the other, in order); the slow subscriber
holds its first answer open until the fast one has received all five (at most HOLD_SECONDS, then answers anyway,
and the check fails), and takes SLOW_SECONDS per answer after that. Proven by causality, not by the clock: all
five reached the fast subscriber while the slow one's first delivery was still unanswered. Real processes, real
loopback HTTP.
"""
import json
import re
import threading
import time
import uuid

from support import check, http, wait_for

SLOW_SECONDS = 2.0
HOLD_SECONDS = 8.0  # below the delivery timeout (10 s): the held attempt is answered, not abandoned


def subscribe_and_sign(gw, simulator, subscriber, headers, names):
    """Subscribes each of `names` (endpoints of `subscriber`) to every event, then signs a fresh instance of
    template A (five events). Returns the instance and the subscription ids by name."""
    ids = {}
    for name in names:
        status, _, text = http("POST", gw.url + "/v1/subscriptions", json.dumps({"url": subscriber.url(name)}), headers)
        check(f"subscription {name} created", status == 201, text)
        ids[name] = json.loads(text).get("id") if status == 201 else None
    instance = simulator.new_instance("A")
    status, _, text = http("POST", gw.url + "/v1/signatures",
                           json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel",
                                       "track": False}),
                           {**headers, "Idempotency-Key": f"events-{uuid.uuid4()}"})
    check("sign answered 200", status == 200, text[:300])
    return instance, ids


def test_slow_subscriber_delays_only_its_own_deliveries(subscriber, simulator, gateway):
    gw = gateway(logLevel="warning", events={"allowedDestinations": ["127.0.0.0/8"], "deliveryTimeoutSeconds": 10})
    headers = {"Authorization": "Bearer " + gw.client_key(), "Content-Type": "application/json"}
    fast_arrived, lock = [], threading.Lock()  # webhook-ids, as the fast subscriber's requests arrive
    fast_has_all = threading.Event()
    first_slow = {}  # what the fast subscriber had when the slow one answered its first delivery

    def fast(record, nth):
        with lock:
            fast_arrived.append(record["headers"].get("webhook-id"))
            if len(fast_arrived) >= 5:
                fast_has_all.set()
        return 200, {}, b""

    def slow(record, nth):
        if not first_slow:
            first_slow["held"] = fast_has_all.wait(timeout=HOLD_SECONDS)  # the first answer waits for the fast five
            with lock:
                first_slow["fast_before_answer"] = list(fast_arrived)
        else:
            time.sleep(SLOW_SECONDS)  # the subscriber is slow; the test never sleeps to synchronize
        return 200, {}, b""

    subscriber.behaviour["fast"] = fast
    subscriber.behaviour["slow"] = slow
    instance, _ = subscribe_and_sign(gw, simulator, subscriber, headers, ("slow", "fast"))
    fast = wait_for(lambda: len(subscriber.received("fast")) >= 5 and subscriber.received("fast"), deadline=30)
    check("the fast subscriber got all five events", fast and len(fast) == 5, str(len(fast or [])))
    slow_done = wait_for(lambda: subscriber.received("slow"), deadline=30)
    check("the slow subscriber got its first event", bool(slow_done))
    if fast and slow_done:
        # The slow one's first answer was held until the fast one had all five: had the fast deliveries waited
        # for the slow subscriber, the hold would have run out with fewer than five.
        check("all five reached the fast subscriber before the slow one answered its first",
              first_slow.get("held") is True and len(first_slow.get("fast_before_answer", [])) >= 5,
              f"held {first_slow.get('held')}, the fast subscriber had {len(first_slow.get('fast_before_answer', []))} "
              f"when the slow one answered")
        ids = [json.loads(record["body"])["id"] for record in fast]
        check("the fast subscriber got them in commit order, each once",
              len(set(ids)) == 5 and ids == [e["id"] for e in json.loads(
                  http("GET", gw.url + "/v1/events?limit=100", None, headers)[2]) if e["resourceinstance"] == instance])


def test_hostile_subscriber_answers_cost_only_their_own_attempts(subscriber, simulator, gateway):
    """A subscriber answering 64 KiB shaped to make a backtracking redactor go quadratic (`eyJeyJ…`, `eyJa.eyJa…`)
    gets its attempts recorded with a short, redacted excerpt, while another subscription receives every event."""
    gw = gateway(logLevel="warning", events={"allowedDestinations": ["127.0.0.0/8"], "deliverySchedule": ["1s"]})
    headers = {"Authorization": "Bearer " + gw.client_key(), "Content-Type": "application/json"}
    # Just under the 64 KiB a delivery reads of an answer; the dotted runs first, so the redactor meets them.
    hostile_body = (b"eyJa." * 6500) + (b"eyJ" * 10000)
    subscriber.behaviour["hostile"] = lambda record, nth: (400, {"Content-Type": "text/plain"}, hostile_body)
    subscriber.behaviour["calm"] = lambda record, nth: (200, {}, b"")
    _, ids = subscribe_and_sign(gw, simulator, subscriber, headers, ("hostile", "calm"))
    calm = wait_for(lambda: len(subscriber.received("calm")) >= 5 and subscriber.received("calm"), deadline=30)
    check("the calm subscriber got all five events", calm and len(calm) == 5, str(len(calm or [])))
    hostile = wait_for(lambda: subscriber.received("hostile"), deadline=30)
    check("the hostile subscriber was attempted", bool(hostile))

    def excerpts():
        status, _, text = http("GET", gw.url + f"/v1/deliveries?subscription={ids['hostile']}", None, headers)
        if status != 200:
            return None
        found = []
        for item in json.loads(text).get("items", []):
            status, _, detail = http("GET", gw.url + f"/v1/deliveries/{item['id']}", None, headers)
            if status == 200:
                found += [a.get("responseExcerpt") for a in json.loads(detail).get("attemptLog", [])]
        return [e for e in found if e] or None

    recorded = wait_for(excerpts, deadline=30)
    check("the hostile answers were recorded", bool(recorded))
    jwt_shape = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.")
    check("each excerpt is short and holds no token shape",
          bool(recorded) and all(len(e) <= 257 and not jwt_shape.search(e) and "[redacted]" in e for e in recorded),
          str([(len(e), e[:40]) for e in (recorded or [])][:3]))

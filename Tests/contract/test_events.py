"""Events over real processes and real loopback HTTP: the simulator, the gateway, and a scriptable subscriber.

Every delivery is verified with the reference Standard Webhooks library and parsed with the CloudEvents SDK.
Covers: events of a sign through the gateway; the tracker noticing an out-of-band signature; completeWhenAllSigned
calling process/next exactly once; order per (subscription, instance) under failures while other instances flow;
Retry-After honoured (from the attempt log); 410 disabling; dead letters, retry and replay with the same ids;
secret rotation (both signatures verify during grace); the pull feed and its cursor; the Altinn Events ingress;
bad inputs answered with problems that change nothing; no secret in any log line or problem body.
Runs once per storage engine: SQLite, and PostgreSQL in a fresh database (SIGNING_GATEWAY_TEST_POSTGRES_URL).
"""
import json
import os
import threading
import time
import urllib.parse
import uuid

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from support import DEMO_A, DEMO_B, check, http, requests_since, simulator_instances, simulator_requests, wait_for
from support.events import event_of, from_dict, parse_time, verify_delivery

APP = "ttd/signing-app"
T = "no.signinggateway."
SIGNED, COMPLETED = T + "signee.signed", T + "signing.completed"
PROCESS_TYPES = (T + "process.moved", T + "process.completed")
SYSTEM_USER_MARK = None  # the system user's partyId is learned from the first event
ORDER_HOLD_SECONDS = 10  # at most this long a first attempt is held open (section 4); the delivery timeout is longer


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request):
    """The gateway's `storage` section: the embedded SQLite, or a fresh database on the test PostgreSQL."""
    if request.param == "sqlite":
        return {}
    url = request.getfixturevalue("postgres_database")("sg_events_")
    print(f"events test on PostgreSQL ({url.rsplit('/', 1)[-1]})")
    return {"storage": {"engine": "postgres", "postgresURL": url}}


def test_events(work, subscriber, simulator, gateway, storage):
    altinn_secret = "altinn-events-" + uuid.uuid4().hex
    secret_file = os.path.join(work, "altinn-events.secret")
    open(secret_file, "w").write(altinn_secret)
    events = {
        "trackingInitialIntervalSeconds": 0.2, "trackingMaxIntervalSeconds": 1,
        # The timeout outlasts ORDER_HOLD_SECONDS: section 4 holds one attempt open on purpose.
        "deliverySchedule": ["200ms", "200ms", "200ms"], "deliveryJitter": 0, "deliveryTimeoutSeconds": 15,
        "retryAfterCapSeconds": 5, "allowedDestinations": ["127.0.0.0/8"], "altinnEventsSecretFile": secret_file,
    }
    server = gateway(logLevel="debug", events=events, **storage)
    run_checks(simulator, server, subscriber, altinn_secret)


def run_checks(simulator, gateway, sub, altinn_secret):
    gw = gateway.url
    sim = simulator.url
    key = gateway.client_key()
    token = simulator.token
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    json_headers = {"Content-Type": "application/json"}
    problems = []  # every problem body the gateway answered
    secrets = {}  # subscription name -> [secrets, newest last]
    ids = {}  # subscription name -> id
    instance_prefix = f"{sim}/{APP}/instances/"

    def call(method, path, body=None, headers=auth):
        if method == "POST" and "Idempotency-Key" not in headers:
            headers = {**headers, "Idempotency-Key": '"%s"' % uuid.uuid4()}
        status, response_headers, text = http(method, gw + path, json.dumps(body) if isinstance(body, (dict, list)) else body, headers)
        if response_headers.get("Content-Type", "").startswith("application/problem+json"):
            problems.append(text)
        return status, response_headers, text

    def subscribe(name, **fields):
        status, _, text = call("POST", "/v1/subscriptions", {"url": sub.url(name), **fields})
        check(f"create subscription {name}: 201", status == 201, f"{status} {text[:300]}")
        body = json.loads(text)
        check(f"subscription {name}: secret shown once as whsec_", body.get("secret", "").startswith("whsec_"), text[:200])
        secrets[name] = [body["secret"]]
        ids[name] = body["id"]
        return body

    def new_instance(template="A"):
        status, _, text = http("POST", sim + "/_simulator/instances", json.dumps({"template": template}), json_headers)
        return json.loads(text)["id"]

    def sign(instance, **fields):
        status, _, text = call("POST", "/v1/signatures", {"app": APP, "instanceId": instance, "mode": "parallel", **fields})
        check(f"sign {instance}: 200", status == 200, f"{status} {text[:300]}")
        return status

    def feed_all():
        status, headers, text = call("GET", "/v1/events?limit=1000")
        return json.loads(text) if status == 200 else []

    def feed_for(instance, types=None):
        return [e for e in feed_all() if e["resourceinstance"] == instance and (types is None or e["type"] in types)]

    def got(name, predicate=lambda e: True, status=200):
        return [r for r in sub.received(name, status) if predicate(event_of(r))]

    def deliveries(**query):
        status, _, text = call("GET", "/v1/deliveries?" + urllib.parse.urlencode({"limit": 1000, **query}))
        return json.loads(text)["items"] if status == 200 else []

    def delivery_detail(delivery_id):
        status, _, text = call("GET", f"/v1/deliveries/{delivery_id}")
        return json.loads(text) if status == 200 else {}

    def sim_requests():
        return json.loads(http("GET", sim + "/_simulator/requests")[2])["requests"]

    def instance_key(instance):
        return f"{APP}/instances/{instance}"

    started_at = time.time()
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_at - 5))

    # ---------- Subscriptions and their scripted behaviour ----------
    subscribe("main", description="every event, always 200")
    failed_first = {}  # order: instance -> webhook-id of the first event seen

    def order_behaviour(record, nth):
        event = event_of(record)
        if event["resourceinstance"] != order_state["slow"]:
            return 200, {}, b""
        first = failed_first.setdefault(event["resourceinstance"], event["id"])
        if event["id"] == first and nth == 0:
            # The slow instance's first attempt is held open until the other instance's events are committed,
            # so they are pending while the slow instance's first event fails and waits for its retries.
            order_state["held"] = order_state["release"].wait(timeout=ORDER_HOLD_SECONDS)
        return (500, {}, b"not yet") if event["id"] == first and nth < 2 else (200, {}, b"")

    order_state = {"slow": None, "release": threading.Event(), "held": None}
    sub.behaviour["order"] = order_behaviour
    subscribe("order")
    throttle_state = {"instance": None}
    sub.behaviour["throttle"] = lambda r, n: (
        (429, {"Retry-After": "2"}, b"slow down") if event_of(r)["resourceinstance"] == throttle_state["instance"] and n == 0 else (200, {}, b""))
    subscribe("throttle", types=[COMPLETED])
    sub.behaviour["gone"] = lambda r, n: (410, {}, b"gone")
    subscribe("gone", types=[COMPLETED])
    dead_state = {"answer": 500}
    sub.behaviour["dead"] = lambda r, n: (dead_state["answer"], {}, b"failing" if dead_state["answer"] >= 400 else b"")
    subscribe("dead", types=[COMPLETED])
    sub.behaviour["redirect"] = lambda r, n: (302, {"Location": sub.url("target")}, b"")
    subscribe("redirect", types=[COMPLETED])
    subscribe("rotate", types=[COMPLETED])

    # ---------- 1. Sign A through the gateway ----------
    sign(DEMO_A)
    a_feed = wait_for(lambda: (lambda f: f if any(e["type"] == COMPLETED for e in f) else None)(feed_for(DEMO_A)), what="A events")
    a_types = [e["type"] for e in a_feed or []]
    check("A: signee.signed events committed", a_types.count(SIGNED) >= 1, str(a_types))
    check("A: signing.completed committed once", a_types.count(COMPLETED) == 1, str(a_types))
    a_ids = {e["id"] for e in a_feed or []}
    received = wait_for(lambda: a_ids <= {event_of(r)["id"] for r in got("main")} and got("main"), what="A delivered")
    check("A: every event delivered to main", bool(received), f"{len(a_ids)} events")
    system_party = None
    for event in a_feed or []:
        if event["type"] == SIGNED and event["data"]["signee"]["kind"] == "systemUser":
            system_party = event["data"]["signee"]["partyId"]
    check("A: the system user's signee.signed is among them", system_party is not None, str(a_types))

    # ---------- 2. Out-of-band signature on tracked B: the tracker notices ----------
    status, _, text = call("POST", "/v1/tracked-instances", {"app": APP, "instanceId": DEMO_B})
    check("track B: 201", status == 201, f"{status} {text[:300]}")
    status, _, text = call("GET", f"/v1/tracked-instances/{APP}/{DEMO_B}")
    check("GET tracked B: 200 active", status == 200 and json.loads(text).get("status") == "active", text[:300])
    baseline = wait_for(lambda: (lambda f: f if any(e["type"].endswith("delegation.failed") for e in f) else None)(feed_for(DEMO_B)),
                        what="B first poll")
    check("B: first poll reports the failed notification and delegation",
          bool(baseline) and any(e["type"].endswith("notification.failed") for e in baseline), str([e["type"] for e in baseline or []]))
    gateway_calls_before, _ = simulator_requests(sim)
    b_signs_before = simulator_instances(sim)[DEMO_B]["signCalls"]
    party, guid = DEMO_B.split("/")
    status, _, _ = http("POST", f"{sim}/_simulator/instances/{party}/{guid}/signees/51290001/sign")
    check("simulator out-of-band sign: 204", status == 204, str(status))
    oob = wait_for(lambda: got("main", lambda e: e["type"] == SIGNED and e["resourceinstance"] == DEMO_B and e["subject"] == "/party/51290001"),
                   what="out-of-band signed delivered")
    check("B: tracker emitted signee.signed for the out-of-band signature", bool(oob))
    recorded, complete = requests_since(sim, gateway_calls_before)
    check("B: the request log still holds every Altinn call since the out-of-band signature", complete, str(len(recorded)))
    check("B: the tracker read B after the out-of-band signature",
          any(r["method"] == "GET" and f"/instances/{DEMO_B}/" in r["path"] + "/" for r in recorded),
          str([(r["method"], r["path"]) for r in recorded][:5]))
    check("B: noticed by reading only (no sign sent)", len(recorded) >= 1 and all(r["method"] == "GET" for r in recorded),
          str([(r["method"], r["path"]) for r in recorded][:5]))
    check("B: Altinn counted no sign for B since", simulator_instances(sim)[DEMO_B]["signCalls"] == b_signs_before,
          f"{b_signs_before} -> {simulator_instances(sim)[DEMO_B]['signCalls']}")

    # Altinn Events ingress: handshake, wrong secret, a push for a tracked instance.
    ingress = {"Content-Type": "application/cloudevents+json"}
    handshake = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "platform.events.validatesubscription",
                 "source": "https://platform.altinn.no/events/api/v1/subscriptions/1"}
    status, _, text = call("POST", "/v1/altinn-events", handshake, {**ingress, "Authorization": f"Bearer {altinn_secret}"})
    check("altinn-events handshake: 200", status == 200, f"{status} {text[:200]}")
    status, headers, text = call("POST", "/v1/altinn-events", handshake, {**ingress, "Authorization": "Bearer wrong-" + altinn_secret[:8]})
    check("altinn-events wrong secret: 401 problem", status == 401 and headers.get("Content-Type", "").startswith("application/problem+json"),
          f"{status} {text[:200]}")
    push = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "app.instance.process.movedTo.Task_2",
            "source": instance_prefix + DEMO_B}
    status, _, text = call("POST", "/v1/altinn-events", push, {**ingress, "Authorization": f"Bearer {altinn_secret}"})
    check("altinn-events push for tracked B: 200 tracked", status == 200 and json.loads(text).get("tracked") is True, f"{status} {text[:200]}")
    # Dialogporten's signing activity for B, as the simulator says Dialogporten would send it: the dialog id maps
    # back to tracked B.
    status, _, dialog_event = http("GET", f"{sim}/_simulator/instances/{DEMO_B}/dialogporten-event?activity=signature-provided")
    check("simulator: a Dialogporten event for B", status == 200 and "signature-provided" in dialog_event, dialog_event[:200])
    status, _, text = call("POST", "/v1/altinn-events", json.loads(dialog_event), {**ingress, "Authorization": f"Bearer {altinn_secret}"})
    check("altinn-events Dialogporten push for tracked B: 200 tracked, one instance",
          status == 200 and json.loads(text).get("tracked") is True and json.loads(text).get("instances") == 1, f"{status} {text[:200]}")

    # ---------- 3. completeWhenAllSigned: process/next exactly once ----------
    auto = new_instance("A")
    sign(auto, track=True, completeWhenAllSigned=True)
    moved = wait_for(lambda: got("main", lambda e: e["type"] in PROCESS_TYPES and e["resourceinstance"] == auto), what="process event")
    check("completeWhenAllSigned: process event delivered", bool(moved))
    settled = wait_for(lambda: (lambda s: s if s[0] == 200 and json.loads(s[2]).get("status") in ("complete", "ended") else None)(
        call("GET", f"/v1/tracked-instances/{APP}/{auto}")), what="tracking settled")
    check("completeWhenAllSigned: tracking settles", bool(settled), str(settled))
    # Settled rows are no longer polled: nothing can call process/next for it again (checked again at the end).
    # Altinn's own per-instance count, which a trimmed request log cannot hide; a second call refused by
    # Altinn's instance lock is not counted there, so the log must not show a second one either.
    def process_next_calls(instance):
        return (simulator_instances(sim)[instance]["processNextCalls"],
                sum(1 for r in sim_requests() if r["method"] == "PUT" and r["path"].endswith(f"{instance}/process/next")))

    counted, logged = process_next_calls(auto)
    check("completeWhenAllSigned: process/next called exactly once", counted == 1 and logged <= 1,
          f"Altinn counted {counted}, the log shows {logged}")

    # ---------- 4. Order per (subscription, instance) under failures ----------
    slow, other = new_instance("A"), new_instance("A")
    order_state["slow"] = slow
    sign(slow, track=False)
    sign(other, track=False)
    slow_ids = [e["id"] for e in wait_for(lambda: (lambda f: f if any(e["type"] == COMPLETED for e in f) else None)(feed_for(slow)))]
    other_ids = [e["id"] for e in wait_for(lambda: (lambda f: f if any(e["type"] == COMPLETED for e in f) else None)(feed_for(other)))]
    order_state["release"].set()  # both instances' events are committed: the held attempt may answer its 500
    wait_for(lambda: set(slow_ids + other_ids) <= {event_of(r)["id"] for r in got("order", status=200)}, what="order delivered")
    # held is None when the first attempt came only after the release: the other instance's events were then
    # already pending at its claim, and went out in the same round.
    check("order: the other instance's events were committed before the slow one's first attempt was answered",
          order_state["held"] is not False, f"held {order_state['held']}")
    # Arrival order at the subscriber (not the clock): each round of a subscription starts after the last one
    # ended, so the other instance's events, pending from the held round on, are attempted in a round before
    # the slow instance's first event comes back from its two failures.
    log = sorted(sub.received("order"), key=lambda r: r["seq"])
    slow_log = [(r["seq"], event_of(r)["id"], r["status"]) for r in log if event_of(r)["resourceinstance"] == slow]
    first_ok = next((t for t, i, s in slow_log if i == slow_ids[0] and s == 200), None)
    check("order: the first event failed twice, then was delivered",
          [s for t, i, s in slow_log if i == slow_ids[0]] == [500, 500, 200], str(slow_log[:4]))
    check("order: no later event of the instance before the first was delivered",
          first_ok is not None and all(t >= first_ok for t, i, s in slow_log if i != slow_ids[0]), str(slow_log))
    check("order: first deliveries follow commit order", [i for i in dict.fromkeys(i for _, i, s in slow_log if s == 200)] == slow_ids,
          f"{slow_log} vs {slow_ids}")
    other_delivered = [r["seq"] for r in log if event_of(r)["resourceinstance"] == other and r["status"] == 200]
    check("order: another instance's events were not held back (one delivered before the slow first event)",
          first_ok is not None and len(other_delivered) >= len(other_ids) and min(other_delivered) < first_ok,
          f"other delivered at arrivals {other_delivered[:len(other_ids)]} vs slow first delivered at {first_ok}")

    # ---------- 5. Retry-After honoured (from the attempt log) ----------
    throttled = new_instance("A")
    throttle_state["instance"] = throttled
    sign(throttled, track=False)
    throttle_deliveries = lambda: deliveries(subscription=ids["throttle"], instance=instance_key(throttled))
    # While the retry waits (the 2 s asked for), the delivery shows when it is scheduled.
    waiting = wait_for(lambda: [d for d in throttle_deliveries() if d["attempts"] == 1 and d["nextAttemptAt"]]
                       or [d for d in throttle_deliveries() if d["status"] == "delivered"], deadline=20)
    scheduled = waiting[0]["nextAttemptAt"] if waiting and waiting[0]["status"] != "delivered" else None
    done = wait_for(lambda: [d for d in throttle_deliveries() if d["status"] == "delivered"], deadline=20)
    check("Retry-After: delivered in the end", bool(done))
    check("Retry-After: the scheduled retry was seen while it waited", scheduled is not None, str(waiting))
    if done:
        attempts = delivery_detail(done[0]["id"]).get("attemptLog", [])
        check("Retry-After: two attempts, first 429", [a["status"] for a in attempts] == [429, 200], str(attempts))
        if len(attempts) == 2:
            # The gateway's own attempt log (its times are whole milliseconds: 1 ms of rounding either way);
            # the wait counts from the start of the attempt answered 429.
            first, second = parse_time(attempts[0]["time"]), parse_time(attempts[1]["time"])
            check("Retry-After: the second attempt not before the 2 s the header asked for (schedule says 200 ms)",
                  second >= first + 2 - 0.001, f"{attempts[0]['time']} then {attempts[1]['time']}")
            if scheduled is not None:
                check("Retry-After: the retry was scheduled exactly 2 s on (neither the schedule's 200 ms nor the cap)",
                      abs(parse_time(scheduled) - first - 2) <= 0.001, f"{attempts[0]['time']} then {scheduled}")
                check("Retry-After: the second attempt came not before its scheduled time",
                      second >= parse_time(scheduled) - 0.001, f"{scheduled} then {attempts[1]['time']}")

    # ---------- 6. 410 disables the subscription ----------
    disabled = wait_for(lambda: (lambda s: json.loads(s[2]) if s[0] == 200 and json.loads(s[2])["enabled"] is False else None)(
        call("GET", f"/v1/subscriptions/{ids['gone']}")))
    check("410: subscription disabled", bool(disabled), str(disabled))
    check("410: disabledReason set", bool(disabled) and bool(disabled.get("disabledReason")), str(disabled))
    check("GET subscription never shows the secret", bool(disabled) and "secret" not in disabled, str(disabled))
    gone_count = len(sub.received("gone"))

    # ---------- 7. 302 is not followed ----------
    redirected = wait_for(lambda: [d for d in deliveries(subscription=ids["redirect"]) if d["lastStatus"] == 302])
    check("302: recorded as the answer", bool(redirected))
    check("302: the redirect target was never called", sub.received("target") == [])
    check("302: not counted as delivered", bool(redirected) and all(d["status"] != "delivered" for d in redirected), str(redirected))

    # ---------- 8. Dead letters, then retry and replay with the same ids ----------
    completed_ids = lambda: {e["id"] for e in feed_all() if e["type"] == COMPLETED}
    dead = wait_for(lambda: (lambda d: d if {x["eventId"] for x in d} >= completed_ids() else None)(
        deliveries(subscription=ids["dead"], status="dead")), deadline=20)
    check("dead: every signing.completed dead-lettered after the schedule", bool(dead), str(deliveries(subscription=ids["dead"]))[:300])
    if dead:
        attempts = delivery_detail(dead[0]["id"]).get("attemptLog", [])
        check("dead: 1 + 3 attempts (the schedule)", len(attempts) == 4, str(len(attempts)))
        dead_state["answer"] = 200
        target = dead[0]
        status, _, text = call("POST", f"/v1/deliveries/{target['id']}/retry")
        check("retry: 202", status == 202, f"{status} {text[:200]}")
        check("retry: re-delivered with the same id",
              bool(wait_for(lambda: got("dead", lambda e: e["id"] == target["eventId"], status=200))))
        status, _, text = call("POST", f"/v1/subscriptions/{ids['dead']}/replay?since={since}")
        check("replay: 202", status == 202, f"{status} {text[:200]}")
        check("replay: counts the deliveries", status == 202 and json.loads(text).get("deliveries", 0) >= len(dead), text[:200])
        replayed = wait_for(lambda: {event_of(r)["id"] for r in got("dead", status=200)} >= {d["eventId"] for d in dead})
        check("replay: every dead event re-delivered with its id", bool(replayed))

    # ---------- 9. Secret rotation ----------
    wait_for(lambda: got("rotate"))
    before_rotation = len(sub.received("rotate"))
    status, _, text = call("POST", f"/v1/subscriptions/{ids['rotate']}/rotate-secret", {"gracePeriodSeconds": 3600})
    check("rotate: 200 with a new secret", status == 200 and json.loads(text).get("secret", "").startswith("whsec_")
          and json.loads(text)["secret"] != secrets["rotate"][0], f"{status} {text[:200]}")
    if status == 200:
        secrets["rotate"].append(json.loads(text)["secret"])
    rotated_instance = new_instance("A")
    sign(rotated_instance, track=False)
    after = wait_for(lambda: [r for r in sub.received("rotate")[before_rotation:] if event_of(r)["resourceinstance"] == rotated_instance])
    check("rotate: delivery after rotation received", bool(after))
    for record in after or []:
        signatures = record["headers"].get("webhook-signature", "").split()
        check("rotate: two v1 signatures during grace", len(signatures) == 2 and all(s.startswith("v1,") for s in signatures), str(signatures))
        for index, secret in enumerate(secrets["rotate"]):
            try:
                Webhook(secret).verify(record["body"], record["headers"])
                check(f"rotate: {'old' if index == 0 else 'new'} secret alone verifies", True)
            except Exception as error:  # noqa: BLE001
                check(f"rotate: {'old' if index == 0 else 'new'} secret alone verifies", False, repr(error))
    status, _, text = call("POST", f"/v1/subscriptions/{ids['rotate']}/rotate-secret", {"gracePeriodSeconds": 0})
    check("rotate without grace: 200", status == 200, f"{status} {text[:200]}")
    if status == 200:
        secrets["rotate"].append(json.loads(text)["secret"])
        mark = len(sub.received("rotate"))
        last = new_instance("A")
        sign(last, track=False)
        fresh = wait_for(lambda: [r for r in sub.received("rotate")[mark:] if event_of(r)["resourceinstance"] == last])
        check("rotate without grace: a delivery after the rotation received", bool(fresh))
        for record in fresh or []:
            check("rotate without grace: one signature", len(record["headers"].get("webhook-signature", "").split()) == 1)
            try:
                Webhook(secrets["rotate"][-1]).verify(record["body"], record["headers"])
                check("rotate without grace: the new secret verifies", True)
            except Exception as error:  # noqa: BLE001
                check("rotate without grace: the new secret verifies", False, repr(error))
            try:
                Webhook(secrets["rotate"][-2]).verify(record["body"], record["headers"])
                check("rotate without grace: the previous secret no longer verifies", False, "it verified")
            except WebhookVerificationError as error:
                # Headers and timestamp are good (the new secret verifies the same record): only the signature fails.
                check("rotate without grace: the previous secret no longer verifies", True, repr(error))
            except Exception as error:  # noqa: BLE001 - any other failure is not a signature mismatch
                check("rotate without grace: the previous secret no longer verifies", False, repr(error))
    check("410: nothing more sent to the disabled subscription", len(sub.received("gone")) == gone_count,
          f"{gone_count} -> {len(sub.received('gone'))}")

    # ---------- 10. Pull feed: commit order, cursor, same events as delivered ----------
    all_events = feed_all()
    status, headers, _ = call("GET", "/v1/events?limit=1000")
    check("feed: cloudevents batch content type", headers.get("Content-Type", "").startswith("application/cloudevents-batch+json"),
          headers.get("Content-Type"))
    paged, cursor, pages = [], "0", 0
    while pages < 500:
        status, headers, text = call("GET", f"/v1/events?limit=3&after={cursor}")
        batch = json.loads(text) if status == 200 else []
        pages += 1
        if not batch:
            check("feed: an empty page keeps the cursor", headers.get("Next-Cursor") == cursor, f"{headers.get('Next-Cursor')} vs {cursor}")
            break
        paged.extend(batch)
        cursor = headers.get("Next-Cursor")
    check("feed: paging with Next-Cursor yields the same events in the same order",
          [e["id"] for e in paged][:len(all_events)] == [e["id"] for e in all_events], f"{len(paged)} vs {len(all_events)}")
    check("feed: ids are unique", len({e["id"] for e in all_events}) == len(all_events))
    for event in all_events:
        try:
            from_dict(event)
        except Exception as error:  # noqa: BLE001
            check(f"feed: {event.get('id')} is a CloudEvent", False, repr(error))
    feed_ids = [e["id"] for e in all_events]
    main_all = wait_for(lambda: set(feed_ids) <= {event_of(r)["id"] for r in got("main")}, deadline=20)
    check("main received every event of the feed", bool(main_all),
          str(set(feed_ids) - {event_of(r)["id"] for r in got("main")}))
    first_seen = list(dict.fromkeys(event_of(r)["id"] for r in got("main")))
    by_instance = {}
    for event in all_events:
        by_instance.setdefault(event["resourceinstance"], []).append(event["id"])
    for instance, expected in by_instance.items():
        check(f"main: first deliveries for {instance} follow commit order",
              [i for i in first_seen if i in set(expected)] == expected)

    # ---------- Every delivery received, verified ----------
    for record in sub.received():
        name = record["name"]
        if name in ("target",):
            continue
        pool = secrets.get(name, [])
        # Only the secrets valid when it was sent: every record verifies with at least the current one at the time.
        valid = []
        for secret in pool:
            try:
                Webhook(secret).verify(record["body"], record["headers"])
                valid.append(secret)
            except Exception:  # noqa: BLE001
                pass
        check(f"delivery to {name} {record['headers'].get('webhook-id')}: verifies with one of its secrets", bool(valid))
        verify_delivery(f"delivery to {name}", record, valid[:1] or pool[:1], instance_prefix)

    counted, logged = process_next_calls(auto)
    check("completeWhenAllSigned: still exactly one process/next at the end (settled rows are not polled)",
          counted == 1 and logged <= 1, f"Altinn counted {counted}, the log shows {logged}")

    # ---------- 11. Bad inputs: problems, nothing changes ----------
    status, _, text = call("GET", "/v1/subscriptions")
    before = json.loads(text)["items"]
    for label, body in [
        ("bad url", {"url": "not a url"}),
        ("private address", {"url": "http://10.0.0.1/hook"}),
        ("unknown type", {"url": sub.url("x"), "types": ["no.signinggateway.no.such"]}),
        ("unknown member", {"url": sub.url("x"), "colour": "blue"}),
        ("ftp scheme", {"url": "ftp://127.0.0.1/x"}),
    ]:
        status, headers, text = call("POST", "/v1/subscriptions", body)
        problem = json.loads(text) if text.startswith("{") else {}
        check(f"{label}: 400 problem", status == 400 and headers.get("Content-Type", "").startswith("application/problem+json")
              and problem.get("status") == 400 and "type" in problem and "title" in problem, f"{status} {text[:300]}")
    status, _, text = call("PATCH", f"/v1/subscriptions/{ids['main']}", {"url": "http://10.0.0.1/hook"})
    check("PATCH to a private address: 400", status == 400, f"{status} {text[:200]}")
    status, _, text = call("PATCH", f"/v1/subscriptions/{ids['main']}", {"bogus": 1})
    check("PATCH unknown member: 400", status == 400, f"{status} {text[:200]}")
    status, _, text = call("GET", "/v1/deliveries?status=bogus")
    check("deliveries bad status: 400", status == 400, f"{status} {text[:200]}")
    status, _, text = call("POST", f"/v1/subscriptions/{ids['main']}/replay?since=yesterday")
    check("replay bad since: 400", status == 400, f"{status} {text[:200]}")
    status, _, text = call("GET", "/v1/subscriptions/sub_nosuch")
    check("unknown subscription: 404", status == 404, f"{status} {text[:200]}")
    status, _, text = call("GET", "/v1/subscriptions", headers={})
    check("subscriptions without a client key: 401", status == 401, f"{status} {text[:200]}")
    status, _, text = call("GET", "/v1/subscriptions")
    check("bad inputs changed nothing", json.loads(text)["items"] == before, text[:300])

    # ---------- 12. No secret in logs or problems ----------
    for name, content in (("simulator", simulator.log_text()), ("gateway", gateway.log_text())):
        for sub_name, values in secrets.items():
            for secret in values:
                check(f"{name} log has no whsec of {sub_name}", secret not in content and secret[len("whsec_"):] not in content)
        check(f"{name} log has no client key", key not in content)
        check(f"{name} log has no Altinn token", token not in content)
        check(f"{name} log has no Altinn Events secret", altinn_secret not in content)
    joined = "\n".join(problems)
    check("some problems were collected", len(problems) >= 8, str(len(problems)))
    everything = [s for values in secrets.values() for s in values] + [key, token, altinn_secret]
    check("no problem body carries a secret", not any(s in joined for s in everything))
    excerpts = json.dumps([delivery_detail(d["id"]) for d in deliveries(subscription=ids["dead"])[:5]])
    check("attempt log excerpts carry no secret", not any(s in excerpts for s in everything))

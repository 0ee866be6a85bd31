"""Two gateway replicas on one PostgreSQL database: the same Idempotency-Key fired at both at once
signs upstream at most once, and the shared audit chain verifies. Then events on both replicas at once: both
trackers poll the same instances, both dispatchers deliver from the same outbox; every signing completed by
out-of-band signatures gets exactly one automatic process/next, every event reaches the subscriber once, in
commit order per instance. Needs SIGNING_GATEWAY_TEST_POSTGRES_URL (`make test` starts a throw-away server).
"""
import json
import random
import threading
import uuid

from network_faults import (answer_of, check_sign_answer, describe, fault_seed, fired_summary, instance_counts,
                            random_fault)
from support import JSON, check, http, run_binary, simulator_instances, simulator_requests, wait_for

ROUNDS = 20


def test_two_replicas_on_one_postgres(subscriber, simulator, gateway, postgres_url):
    sim = simulator.url
    replicas = []
    for replica in range(2):
        # Both replicas start at once: migrations must be safe under that.
        replicas.append(gateway(
            f"gateway-{replica}", upstream_timeout_ms=FAULT_UPSTREAM_TIMEOUT_MS, start=False, logLevel="warning",
            storage={"engine": "postgres", "postgresURL": postgres_url},
            events={"trackingInitialIntervalSeconds": 0.1, "trackingMaxIntervalSeconds": 0.3,
                    "deliverySchedule": ["200ms", "200ms", "200ms"], "allowedDestinations": ["127.0.0.0/8"]}))
    for server in replicas:
        server.start(wait=False)
    for server in replicas:
        server.wait_ready()
    gateways = [(server.url, server.config_path) for server in replicas]
    headers = {"Authorization": "Bearer " + replicas[0].client_key(), "Content-Type": "application/json"}
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

    writes_one_at_a_time(sim, [gw for gw, _ in gateways], headers)
    faults_on_both(sim, [gw for gw, _ in gateways], headers)
    events_on_both(sim, [gw for gw, _ in gateways], headers, subscriber)

    verify = run_binary("audit", "verify", "--config", gateways[0][1], timeout=120)
    check("shared audit chain verifies", verify.returncode == 0, verify.stdout + verify.stderr)


WRITE_ROUNDS = 3


def writes_one_at_a_time(sim, gateways, headers):
    """Process/next fired at one instance through both replicas at once, while Altinn holds its instance lock for
    each move: the replicas' write lease lets one writer through at a time, so none meets Altinn's lock (a bare
    409), exactly one moves the process and the rest are told it ended. The lease is given back by each call's
    completion, in its statement: the later writers get through once it commits."""
    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 0, "lockHoldMs": 150}), JSON)
    for round_ in range(WRITE_ROUNDS):
        instance = json.loads(http("POST", sim + "/_simulator/instances", '{"template":"A"}', JSON)[2])["id"]
        status, _, text = http("POST", gateways[round_ % 2] + "/v1/signatures",
                               json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"}),
                               {**headers, "Idempotency-Key": f"replica-write-sign-{uuid.uuid4()}"})
        check(f"writes round {round_}: signed", status == 200, text)
        body = json.dumps({"app": "ttd/signing-app", "instanceId": instance})
        barrier = threading.Barrier(4)
        answers = [None] * 4

        def fire(index):
            barrier.wait()
            status, _, text = http("POST", gateways[index % 2] + "/v1/process/next", body,
                                   {**headers, "Idempotency-Key": f"replica-write-{uuid.uuid4()}"})
            answers[index] = (status, json.loads(text).get("type"))

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        check(f"writes round {round_}: no writer met Altinn's instance lock",
              all(a and a[1] != "/problems/altinn-instance-locked" for a in answers), str(answers))
        check(f"writes round {round_}: exactly one moved the process",
              [a[0] for a in answers if a].count(200) == 1, str(answers))
        check(f"writes round {round_}: the others were told it ended",
              sorted(a[1] for a in answers if a and a[0] != 200) == ["/problems/process-ended"] * 3, str(answers))
    http("PUT", sim + "/_simulator/faults", json.dumps({"lockHoldMs": 0}), JSON)


FAULT_ROUNDS = 16
FAULT_UPSTREAM_TIMEOUT_MS = 1500  # a dripped head of ~200 bytes at 100+ ms per 8 bytes runs past it


def faults_on_both(sim, gateways, headers):
    """One key fired at both replicas at once while the simulator's connections fail at random (seeded): Altinn
    counts at most one sign per key, every answer tells the truth, and a later retry on either replica replays
    or upgrades the stored outcome without signing again."""
    seed = fault_seed("replicas")
    rng = random.Random(seed)
    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 0}), JSON)
    http("DELETE", sim + "/_simulator/network-faults")
    for round_ in range(FAULT_ROUNDS):
        rule = random_fault(rng)
        instance = json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', JSON)[2])["id"]
        body = json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"})
        key = f"replica-fault-{uuid.uuid4()}"
        status, _, text = http("POST", sim + "/_simulator/network-faults", json.dumps(rule), JSON)
        check(f"faults round {round_}: rule armed", status == 201, text)
        barrier = threading.Barrier(2)
        answers = [None, None]

        def fire(index):
            barrier.wait()
            answers[index] = answer_of(*http("POST", gateways[index] + "/v1/signatures", body,
                                             {**headers, "Idempotency-Key": key}))

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        signed = instance_counts(sim).get(instance, 0)
        retry = answer_of(*http("POST", gateways[rng.randrange(2)] + "/v1/signatures", body,
                                {**headers, "Idempotency-Key": key}))
        after = instance_counts(sim).get(instance, 0)
        context = (f"seed {seed}, round {round_}, rule {rule}, answers {[describe(a) for a in answers]}, "
                   f"retry {describe(retry)}, signCalls {signed} then {after}")
        check(f"faults round {round_}: both replicas answered", all(a is not None for a in answers), context)
        check(f"faults round {round_}: Altinn saw at most one sign", after <= 1, context)
        check(f"faults round {round_}: the retry signed nothing", after == signed, context)
        fresh = [a for a in answers if a and not a[1]
                 and not (isinstance(a[2], dict) and a[2].get("type") == "/problems/idempotency-key-in-use")]
        check(f"faults round {round_}: one replica made the call, the other replayed or saw the key in use",
              len(fresh) == 1, context)
        for index, answer in enumerate(answers):
            check_sign_answer(f"faults round {round_}: replica {index}", answer, signed, context)
        check_sign_answer(f"faults round {round_}: retry", retry, after, context)
        if fresh and fresh[0][0] == 200:
            check(f"faults round {round_}: a 200 replays as 200", retry[0] == 200 and retry[1], context)
    fired = json.loads(http("GET", sim + "/_simulator/network-faults")[2])["fired"]
    check("faults: network faults fired", len(fired) > 0, str(fired))
    print(f"replicas: network faults fired {fired_summary(fired)}", flush=True)
    http("DELETE", sim + "/_simulator/network-faults")


EVENT_INSTANCES = 6
OTHER_SIGNEES = (51290001, 51290002)  # template B's signees besides the gateway's system user


def events_on_both(sim, gateways, headers, subscriber):
    status, _, text = http("POST", gateways[0] + "/v1/subscriptions", json.dumps({"url": subscriber.url("r")}), headers)
    check("events: subscription created on replica 0", status == 201, text)
    json_headers = {"Content-Type": "application/json"}
    instances = [json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', json_headers)[2])["id"]
                 for _ in range(EVENT_INSTANCES)]
    for index, instance in enumerate(instances):
        # The system user signs through one replica or the other, asking for the task to be completed.
        body = json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel",
                           "completeWhenAllSigned": True})
        status, _, text = http("POST", gateways[index % 2] + "/v1/signatures", body,
                               {**headers, "Idempotency-Key": f"replica-events-{uuid.uuid4()}"})
        check(f"events: instance {index} signed through replica {index % 2}", status == 200, text[:300])
    # The other signees sign in Altinn itself: only the trackers (on both replicas) can notice.
    for instance in instances:
        party, guid = instance.split("/")
        for signee in OTHER_SIGNEES:
            http("POST", f"{sim}/_simulator/instances/{party}/{guid}/signees/{signee}/sign")

    def settled():
        status, _, text = http("GET", gateways[1] + "/v1/tracked-instances?limit=1000", None, headers)
        rows = {row["instance"]["instanceId"]: row for row in json.loads(text)["items"]} if status == 200 else {}
        return all(rows.get(i, {}).get("status") == "complete" and rows[i]["processNext"] == "done" for i in instances)

    check("events: every tracked instance completed and its task was moved on", wait_for(settled, deadline=60))
    # Altinn's own per-instance count (the request log keeps only the last 200 requests, and both trackers
    # poll meanwhile). A second call refused by Altinn's instance lock is not counted there, so the log, as far
    # as it reaches back, must not show a second one either.
    counted = simulator_instances(sim)
    _, requests = simulator_requests(sim)
    for index, instance in enumerate(instances):
        calls = counted.get(instance, {}).get("processNextCalls")
        logged = sum(1 for r in requests if r["method"] == "PUT" and r["path"].endswith(f"{instance}/process/next"))
        check(f"events: instance {index}: exactly one process/next across both replicas", calls == 1 and logged <= 1,
              f"Altinn counted {calls}, the log shows {logged}")

    # The whole feed, page by page: the database is shared with earlier runs, so these instances' events need
    # not be on the first page.
    feed, cursor = [], "0"
    for _ in range(10000):
        status, response_headers, text = http("GET", gateways[0] + f"/v1/events?limit=1000&after={cursor}", None, headers)
        page = json.loads(text) if status == 200 else []
        feed += [event for event in page if event["resourceinstance"] in instances]
        if not page or response_headers.get("Next-Cursor") in (None, cursor):
            break
        cursor = response_headers["Next-Cursor"]
    per_instance = {i: [event["id"] for event in feed if event["resourceinstance"] == i] for i in instances}
    # Notification failed, delegation failed, three signed, signing completed, process completed.
    check("events: each instance has its 7 events, once",
          all(len(ids) == 7 == len(set(ids)) for ids in per_instance.values()), str({i: len(v) for i, v in per_instance.items()}))
    wanted = {event["id"] for event in feed}
    check("events: every event delivered", bool(wanted) and wait_for(
        lambda: wanted <= {r["headers"]["webhook-id"] for r in subscriber.received("r")}, deadline=30), f"{len(wanted)} events")
    ids = [r["headers"]["webhook-id"] for r in subscriber.received("r") if r["headers"]["webhook-id"] in wanted]
    check("events: no event delivered twice by the two dispatchers", len(ids) == len(set(ids)),
          str(len(ids) - len(set(ids))))
    for index, instance in enumerate(instances):
        order = [i for i in ids if i in set(per_instance[instance])]
        check(f"events: instance {index}: delivered in commit order", order == per_instance[instance], str(order))

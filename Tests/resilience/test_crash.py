"""Crash safety over real processes: a gateway killed with SIGKILL in the middle of a burst of signs,
then restarted on the same SQLite file. Proves: every key signed at most once upstream, every call
acknowledged before the kill has its audit record, `audit verify` passes, and retries after the
restart never sign again. Then the same under random network faults (the simulator's connections close,
reset, cut or drip their answers before each sign; seeded, the seed is printed, FAULT_SEED=<n> replays the
plan): a sign reaches Altinn at most once per key, a 200 means signed, `signMayHaveHappened: false` means
not signed. Then a gateway killed while its sign waits for Altinn's answer: outcome-unknown after the lease.
The three phases share the simulator and one data directory (the audit chain runs across both crashes).
"""
import json
import random
import threading
import time
import uuid

from network_faults import (answer_of, check_sign_answer, describe, fault_seed, fired_summary, instance_counts,
                            random_fault)
from support import JSON, audit_records, check, http, run_binary, wait_for

BURST = 40
KILL_AFTER = 10

# The network-fault phase.
FAULT_BURST = 30
FAULT_KILL_AFTER = 14  # answers (of any kind) before the SIGKILL
FAULT_WORKERS = 4
FAULT_UPSTREAM_TIMEOUT_MS = 1500  # a dripped head of ~200 bytes at 100+ ms per 8 bytes runs past it

# The outcome-unknown phase: a short deadline keeps the lease (4 × deadline + 30 s) short.
LEASE_UPSTREAM_TIMEOUT_MS = 3000


def test_sigkill_mid_burst_then_network_faults_then_outcome_unknown(simulator, gateway):
    sim = simulator.url
    server = gateway(logLevel="warning", start=False)
    gw = server.url
    config_path = server.config_path
    # Slow Altinn down so that some signs are in flight when the gateway dies.
    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 150}), {"Content-Type": "application/json"})
    instances = [json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', {"Content-Type": "application/json"})[2])["id"] for _ in range(BURST)]

    server.start()
    headers = {"Authorization": "Bearer " + server.client_key(), "Content-Type": "application/json"}
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
    server.kill()
    for thread in threads:
        thread.join(timeout=30)
    check("some calls were acknowledged before the kill", len(acknowledged) >= KILL_AFTER, str(len(acknowledged)))
    check("the kill interrupted the burst", len(acknowledged) < BURST, str(len(acknowledged)))

    server.start()
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

    audited = audit_records(config_path)
    for key, i in acknowledged.items():
        records = audited.get(key, [])
        check(f"acknowledged key {i} has exactly one audit record", len(records) == 1 and records[0]["outcome"] == "succeeded", str(records))
    verify = run_binary("audit", "verify", "--config", config_path)
    check("audit verify passes after the crash", verify.returncode == 0, verify.stdout + verify.stderr)

    server.stop()
    network_fault_phase(sim, gateway, server.port, headers).stop()
    outcome_unknown_phase(sim, gateway, server.port, headers)


def outcome_unknown_phase(sim, gateway, gw_port, headers):
    """A gateway killed while its sign waits for Altinn's answer (the simulator ran the sign and drips the reply):
    after the restart the key is in use until its lease runs out, then it answers `outcome-unknown` with
    `signMayHaveHappened: true`, and the sign is never sent again."""
    lease_gateway = gateway("gateway-lease", port=gw_port, upstream_timeout_ms=LEASE_UPSTREAM_TIMEOUT_MS,
                            start=False, logLevel="warning")
    gw = lease_gateway.url
    http("DELETE", sim + "/_simulator/network-faults")
    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 0}), JSON)
    instance = json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', JSON)[2])["id"]
    body = json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"})
    key = {**headers, "Idempotency-Key": f"crash-lease-{uuid.uuid4()}"}

    lease_gateway.start()
    # The reply's head comes 8 bytes every 2 s: far past the moment of the kill.
    status, _, text = http("POST", sim + "/_simulator/network-faults", json.dumps(
        {"route": "actions", "fault": "dripHeaders", "count": 1, "warmOnly": False, "dripMilliseconds": 2000}), JSON)
    check("lease: drip armed", status == 201, text)

    def first_call():
        try:
            http("POST", gw + "/v1/signatures", body, key)
        except Exception:  # the connection dies with the gateway
            pass

    caller = threading.Thread(target=first_call, daemon=True)
    caller.start()
    reached = wait_for(lambda: instance_counts(sim).get(instance, 0) == 1, deadline=10)
    lease_gateway.kill()
    caller.join(timeout=30)
    check("lease: the sign reached Altinn before the kill", bool(reached), str(instance_counts(sim).get(instance)))
    fired = json.loads(http("GET", sim + "/_simulator/network-faults")[2])["fired"]
    check("lease: the reply was held by the drip", [f["fault"] for f in fired] == ["dripHeaders"], str(fired))
    http("DELETE", sim + "/_simulator/network-faults")

    lease_gateway.start()
    status, _, text = http("POST", gw + "/v1/signatures", body, key)
    check("lease: right after the restart the key is in use", status == 409
          and json.loads(text).get("type") == "/problems/idempotency-key-in-use", f"{status} {text[:300]}")

    def past_lease():
        answer = http("POST", gw + "/v1/signatures", body, key)
        return answer if json.loads(answer[2]).get("type") != "/problems/idempotency-key-in-use" else None

    # The lease is 4 × the upstream timeout + 30 s after the first call began.
    restarted = time.monotonic()
    answer = wait_for(past_lease, deadline=LEASE_UPSTREAM_TIMEOUT_MS * 4 / 1000 + 45, interval=1, what="lease expiry")
    print(f"crash: outcome-unknown phase: the key left 'in use' {time.monotonic() - restarted:.0f}s after the restart",
          flush=True)
    status, _, text = answer if answer else (None, None, "{}")
    problem = json.loads(text)
    check("lease: past the lease the key answers outcome-unknown", status == 409
          and problem.get("type") == "/problems/outcome-unknown", f"{status} {text[:300]}")
    check("lease: outcome-unknown says the sign may have happened", problem.get("signMayHaveHappened") is True, text[:300])
    check("lease: the sign was never sent again", instance_counts(sim).get(instance) == 1,
          str(instance_counts(sim).get(instance)))


def network_fault_phase(sim, gateway, gw_port, headers):
    """Random network faults before each sign, a SIGKILL mid-burst, a restart, one retry per key."""
    seed = fault_seed("crash")
    rng = random.Random(seed)
    plan = [random_fault(rng) for _ in range(FAULT_BURST)]
    faults_gateway = gateway("gateway-faults", port=gw_port, upstream_timeout_ms=FAULT_UPSTREAM_TIMEOUT_MS,
                             start=False, logLevel="warning")
    gw = faults_gateway.url
    config_path = faults_gateway.config_path
    http("DELETE", sim + "/_simulator/network-faults")
    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 100}), JSON)
    instances = [json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', JSON)[2])["id"]
                 for _ in range(FAULT_BURST)]
    keys = [f"crash-fault-{i}-{uuid.uuid4()}" for i in range(FAULT_BURST)]
    bodies = [json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"}) for instance in instances]

    faults_gateway.start()

    first = {}  # index -> answer before the kill
    armed = {}  # index -> (status of the arming call, rule)
    pending = list(range(FAULT_BURST))
    done = threading.Condition()
    killed = threading.Event()

    def worker():
        while True:
            with done:
                if killed.is_set() or not pending:
                    return
                i = pending.pop(0)
            status, _, _ = http("POST", sim + "/_simulator/network-faults", json.dumps(plan[i]), JSON)
            armed[i] = (status, plan[i])
            try:
                answer = answer_of(*http("POST", gw + "/v1/signatures", bodies[i], {**headers, "Idempotency-Key": keys[i]}))
            except Exception:  # the connection dies with the gateway
                continue
            with done:
                if not killed.is_set():
                    first[i] = answer
                done.notify_all()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(FAULT_WORKERS)]
    for thread in threads:
        thread.start()
    with done:
        done.wait_for(lambda: len(first) >= FAULT_KILL_AFTER or not any(t.is_alive() for t in threads), timeout=120)
        killed.set()
    faults_gateway.kill()
    for thread in threads:
        thread.join(timeout=30)
    check("faults: workers finished", not any(thread.is_alive() for thread in threads))
    check("faults: every fault rule was armed", all(status == 201 for status, _ in armed.values()),
          str([a for a in armed.values() if a[0] != 201]))
    check("faults: some signs answered before the kill", len(first) >= FAULT_KILL_AFTER, str(len(first)))
    check("faults: the kill interrupted the burst", len(first) < FAULT_BURST, str(len(first)))
    faults = json.loads(http("GET", sim + "/_simulator/network-faults")[2])
    fired = faults["fired"]
    check("faults: network faults fired", len(fired) > 0, str(faults))
    # The gateway is dead: nothing more reaches Altinn for these keys until the retries.
    before_retry = instance_counts(sim)
    http("DELETE", sim + "/_simulator/network-faults")
    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 0}), JSON)

    faults_gateway.start()
    retry = {}
    for i in range(FAULT_BURST):
        retry[i] = answer_of(*http("POST", gw + "/v1/signatures", bodies[i], {**headers, "Idempotency-Key": keys[i]}))
    after_retry = instance_counts(sim)

    fired_on = {}
    for firing in fired:
        for i, instance in enumerate(instances):
            if instance.split("/")[1] in firing["path"]:
                fired_on.setdefault(i, []).append(f"{firing['fault']}@{firing['route']}")

    def context(i):
        return (f"seed {seed}, instance {i} {instances[i]}, armed before its sign {plan[i]}, fired on it "
                f"{fired_on.get(i, [])}, first answer {describe(first.get(i))}, retry {describe(retry[i])}, "
                f"signCalls before retry {before_retry.get(instances[i])}, after {after_retry.get(instances[i])}")

    for i, instance in enumerate(instances):
        count = after_retry.get(instance, 0)
        check(f"faults: instance {i} signed at most once", count <= 1, context(i))
        check_sign_answer(f"faults: first answer of instance {i}", first.get(i), before_retry.get(instance, 0), context(i))
        check_sign_answer(f"faults: retry of instance {i}", retry[i], count, context(i))
        status, replayed, body, _ = retry[i]
        if first.get(i) is not None and first[i][0] == 200:
            check(f"faults: answered sign {i} replays its 200", status == 200 and replayed, context(i))
        if status == 200 and not replayed:
            check(f"faults: fresh retry {i} had not signed before", before_retry.get(instance, 0) == 0, context(i))
        if first.get(i) is not None and replayed:
            # The stored answer, or the one a later observation upgraded it to (a sign that may have happened).
            may = isinstance(first[i][2], dict) and first[i][2].get("signMayHaveHappened") is True
            check(f"faults: retry {i} replays the stored answer", status == first[i][0] or (may and status == 200), context(i))

    audited = audit_records(config_path)
    for i in first:
        check(f"faults: answered sign {i} has its audit record", len(audited.get(keys[i], [])) >= 1, context(i))
    verify = run_binary("audit", "verify", "--config", config_path)
    check("faults: audit verify passes after faults and the crash", verify.returncode == 0, verify.stdout + verify.stderr)

    outcomes = {}
    for answer in list(first.values()) + list(retry.values()):
        outcomes[describe(answer)] = outcomes.get(describe(answer), 0) + 1
    print(f"crash: network-fault phase in {time.monotonic() - started:.1f}s; fired {fired_summary(fired)}; "
          f"answers {sorted(outcomes.items())}", flush=True)
    return faults_gateway

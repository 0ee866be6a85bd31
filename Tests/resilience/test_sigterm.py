"""Graceful shutdown over real processes: SIGTERM to the gateway in the middle of a burst of signs, with the
simulator slowed down so that calls are in flight. Proves: the process exits 0 within the drain time, every
call that got an answer completed (200) and has exactly one audit record, every sign Altinn executed (the
simulator's per-instance signCalls) was answered to its caller with a complete HTTP answer, at least one call
that was in flight when the signal came was still answered, and `audit verify` passes. Calls that failed
(refused once the listener closed) are recorded and reported, never swallowed. Also reports start-up to ready
(the gateway's `startupMillis`, JSON logs) and checks `/readyz`. Then the dispatcher's drain: SIGTERM while
deliveries to a slow subscriber are in flight; every delivery the subscriber answered is recorded as delivered
and no claimed delivery is left half-done (a second test, with its own simulator and gateway).
"""
import sqlite3
import json
import os
import signal
import subprocess
import threading
import time
import uuid

from support import audit_records, check, http, run_binary, simulator_instances

WAVE_ONE = 8
WAVE_TWO = 24
LATENCY_MS = 300


def test_sigterm_mid_burst_drains_in_flight_signs(simulator, gateway):
    sim = simulator.url
    server = gateway(logLevel="info", drainTimeoutSeconds=20, start=False)
    gw = server.url
    config_path = server.config_path
    gw_log_path = server.log_path

    checked = run_binary("config", "check", "--config", config_path)
    effective = json.loads(checked.stdout) if checked.returncode == 0 else {}
    check("config check accepts the configuration", checked.returncode == 0, checked.stderr)
    check("config check prints the effective configuration", effective.get("logFormat") == "json"
          and effective.get("drainTimeoutSeconds") == 20, checked.stdout)

    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": LATENCY_MS}), {"Content-Type": "application/json"})
    total = WAVE_ONE + WAVE_TWO
    instances = [json.loads(http("POST", sim + "/_simulator/instances", '{"template":"B"}', {"Content-Type": "application/json"})[2])["id"] for _ in range(total)]

    server.start()
    status, _, text = http("GET", gw + "/readyz")
    check("/readyz is 200 with the store and the static profile usable",
          status == 200 and json.loads(text).get("status") == "ready", text)
    check("/readyz names the upstream it signs against (here the simulator run on its own, by URL)",
          json.loads(text).get("upstream") == sim, text)

    headers = {"Authorization": "Bearer " + server.client_key(), "Content-Type": "application/json"}
    keys = [f"drain-{i}-{uuid.uuid4()}" for i in range(total)]
    bodies = [json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"}) for instance in instances]
    answers = {}
    failed = {}  # call index -> the exception its client got (no complete HTTP answer)
    signalled = threading.Event()
    answered_after_signal = []
    done = threading.Condition()

    def fire(i):
        try:
            status, _, text = http("POST", gw + "/v1/signatures", bodies[i], {**headers, "Idempotency-Key": keys[i]})
        except Exception as error:  # noqa: BLE001 - e.g. refused once the listener has closed; judged below
            with done:
                failed[i] = (signalled.is_set(), f"{type(error).__name__}: {error}")
                done.notify_all()
            return
        with done:
            answers[keys[i]] = (i, status)
            if signalled.is_set():
                answered_after_signal.append(i)
            done.notify_all()

    wave_one = [threading.Thread(target=fire, args=(i,)) for i in range(WAVE_ONE)]
    for thread in wave_one:
        thread.start()
    for thread in wave_one:
        thread.join(timeout=60)
    check("the first wave was answered", len(answers) == WAVE_ONE, str(len(answers)))

    wave_two = [threading.Thread(target=fire, args=(i,)) for i in range(WAVE_ONE, total)]
    for thread in wave_two:
        thread.start()
    # Signal once Altinn has executed some of the second wave's signs: those calls still have their
    # signing-state read (another LATENCY_MS) ahead of them, so they are in flight.
    wave_two_ids = set(instances[WAVE_ONE:])
    deadline = time.monotonic() + 60
    signed_at_signal = 0
    while time.monotonic() < deadline:
        rows = json.loads(http("GET", sim + "/_simulator/instances")[2])["instances"]
        signed_at_signal = sum(row["signCalls"] for row in rows if row["id"] in wave_two_ids)
        if signed_at_signal >= 4:
            break
        time.sleep(0.01)
    check("SIGTERM came once Altinn had executed signs of the second wave", signed_at_signal >= 4, str(signed_at_signal))
    signalled.set()
    os.kill(server.process.pid, signal.SIGTERM)
    try:
        code = server.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        code = None
    for thread in wave_two:
        thread.join(timeout=30)
    hanging = [i for i, thread in enumerate(wave_one + wave_two) if thread.is_alive()]
    check("every call ended with an answer or an error", not hanging, str(hanging))

    counted = simulator_instances(sim)
    signs = {i: counted.get(instance, {}).get("signCalls") for i, instance in enumerate(instances)}
    with done:
        answered = {i: status for i, status in answers.values()}
        failures = dict(failed)
    for i, (after_signal, error) in sorted(failures.items()):
        print(f"call {i} got no answer ({'after' if after_signal else 'before'} SIGTERM; "
              f"Altinn signCalls {signs[i]}): {error}")
    print(f"sigterm: {len(answered)} answered, {len(failures)} failed without an answer, "
          f"{sum(1 for n in signs.values() if n)} signed by Altinn, {signed_at_signal} of the second wave at the signal")
    cut = {i: failures.get(i, (None, "no answer"))[1] for i, n in signs.items() if n and i not in answered}
    check("every sign Altinn executed was answered to its caller with a complete HTTP answer", not cut, str(cut))
    check("every answered call was signed exactly once by Altinn",
          all(signs[i] == 1 for i in answered), str({i: signs[i] for i in answered if signs[i] != 1}))
    check("the gateway exited 0 after SIGTERM", code == 0, str(code))
    check("calls in flight at SIGTERM were still answered", len(answered_after_signal) >= 1, str(answered_after_signal))
    check("every answer is a completed sign", all(status == 200 for _, status in answers.values()),
          str(sorted(answers.values())))

    audited = audit_records(config_path)
    for key, (i, status) in sorted(answers.items(), key=lambda item: item[1]):
        records = audited.get(key, [])
        check(f"answered call {i} has exactly one succeeded audit record",
              len(records) == 1 and records[0]["outcome"] == "succeeded", str(records))
    verify = run_binary("audit", "verify", "--config", config_path)
    check("audit verify passes after the drain", verify.returncode == 0, verify.stdout + verify.stderr)

    startup = [json.loads(line).get("startupMillis") for line in open(gw_log_path) if line.startswith("{") and "startupMillis" in line]
    check("the gateway logged startupMillis as JSON", len(startup) == 1, str(startup))
    if startup:
        print(f"start-up to ready: {startup[0]} ms (file config, SQLite, static profile)")
    stopped = [line for line in open(gw_log_path) if "signing-gateway stopped" in line]
    check("the gateway logged its orderly stop", len(stopped) == 1)


SUBSCRIBER_DELAY = 1.0


def test_sigterm_with_deliveries_in_flight_drains_the_dispatcher(subscriber, simulator, gateway, work):
    """SIGTERM while deliveries to a slow subscriber (SUBSCRIBER_DELAY per answer) are in flight."""
    started, lock = [], threading.Lock()  # webhook-ids, as the deliveries arrive

    def slow(record, nth):
        with lock:
            started.append(record["headers"].get("webhook-id"))
        time.sleep(SUBSCRIBER_DELAY)  # the subscriber is slow; not used to synchronize the test
        return 204, {}, b""

    subscriber.behaviour["hooks"] = slow
    sim = simulator.url
    server = gateway(logLevel="warning", drainTimeoutSeconds=20,
                     events={"allowedDestinations": ["127.0.0.0/8"], "deliveryTimeoutSeconds": 10,
                             "deliveryConcurrency": 4})
    gw = server.url
    headers = {"Authorization": "Bearer " + server.client_key(), "Content-Type": "application/json"}
    status, _, _ = http("POST", gw + "/v1/subscriptions", json.dumps({"url": subscriber.url("hooks")}), headers)
    check("drain: subscription created", status == 201, str(status))
    for i in range(4):
        instance = json.loads(http("POST", sim + "/_simulator/instances", '{"template":"A"}',
                                   {"Content-Type": "application/json"})[2])["id"]
        http("POST", gw + "/v1/signatures", json.dumps({"app": "ttd/signing-app", "instanceId": instance,
                                                          "mode": "parallel", "track": False}),
             {**headers, "Idempotency-Key": f"drain-events-{i}"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not started:
        time.sleep(0.01)
    check("drain: deliveries were in flight", len(started) >= 1)
    os.kill(server.process.pid, signal.SIGTERM)
    try:
        code = server.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        code = None
    check("drain: the gateway exited 0 with deliveries in flight", code == 0, str(code))
    # Answered = the subscriber wrote its whole answer (not merely decided on it).
    answered = [r["headers"].get("webhook-id") for r in subscriber.received("hooks") if r.get("sent")]
    db = sqlite3.connect(os.path.join(work, "signing-gateway.sqlite"))
    rows = {event_id: (state, attempts) for event_id, state, attempts in
            db.execute("SELECT event_id, state, attempts FROM deliveries")}
    leased = db.execute("SELECT count(*) FROM deliveries WHERE lease_owner IS NOT NULL").fetchone()[0]
    db.close()
    check("drain: every answered delivery is recorded as delivered",
          answered and all(rows.get(event_id) == ("delivered", 1) for event_id in answered),
          f"answered={answered} rows={rows}")
    check("drain: the round in flight finished; nothing is left leased", leased == 0, str(leased))
    check("drain: undelivered events stay pending in the outbox",
          all(state in ("pending", "delivered") for state, _ in rows.values()) and len(rows) >= len(answered),
          str(rows))

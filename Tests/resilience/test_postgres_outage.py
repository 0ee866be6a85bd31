"""A gateway on PostgreSQL whose server goes away, over real processes and a private PostgreSQL cluster (its own
port, so the suite's shared server is never touched): a restart in the middle of a burst of signs from several
clients (every connection of the pool ended at once, as a failover does), then an outage of some seconds.
Proves: every call gets a whole HTTP answer, in bounded time, a 200 or a 503 problem (never a 500, never a
hang); Altinn signs each instance at most once, also when a caller retries a failed call with its key; the
gateway serves again as soon as the server is back, without a restart of its own; `/readyz` says the store is
unreachable during the outage; and the audit chain verifies afterwards.
"""
import concurrent.futures
import json
import os
import subprocess
import time
import uuid

from support import JSON, ROOT, check, free_port, http, run_binary, simulator_instances, wait_for

CLIENTS = 6
CALLS_EACH = 12
# An answer later than this counts as a hang: well above the store's connect timeout (10 s).
ANSWER_BOUND_S = 30


def pg(state, command, **env):
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "test-postgres.sh"), command], check=True,
                   capture_output=True, text=True, env={**os.environ, "TEST_POSTGRES_STATE": state, **env})


def sign(gw, headers, instance, key):
    body = json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel"})
    started = time.monotonic()
    try:
        status, answer_headers, text = http("POST", gw + "/v1/signatures", body, {**headers, "Idempotency-Key": key},
                                            timeout=ANSWER_BOUND_S)
    except Exception as error:  # no whole answer: recorded, never swallowed
        return {"instance": instance, "key": key, "error": repr(error), "seconds": time.monotonic() - started}
    return {"instance": instance, "key": key, "status": status, "type": answer_headers.get("Content-Type", ""),
            "problem": json.loads(text).get("type") if text.startswith("{") else None,
            "seconds": time.monotonic() - started}


def test_postgres_restart_and_outage(simulator, gateway, work):
    state = os.path.join(str(work), "pg")
    pg(state, "start", TEST_POSTGRES_PORT=str(free_port()))
    try:
        run(simulator, gateway, state)
    finally:
        pg(state, "stop")


def run(simulator, gateway, state):
    url = open(os.path.join(state, "env")).read().split("SIGNING_GATEWAY_TEST_POSTGRES_URL=")[1].split()[0]
    sim = simulator.url
    server = gateway(storage={"engine": "postgres", "postgresURL": url}, logLevel="warning")
    gw = server.url
    headers = {"Authorization": "Bearer " + server.client_key(), "Content-Type": "application/json"}
    http("PUT", sim + "/_simulator/faults", json.dumps({"latencyMs": 20}), JSON)
    instances = [simulator.new_instance("B") for _ in range(CLIENTS * CALLS_EACH + 8)]

    # 1. A restart in the middle of a burst: each client signs its instances one after another.
    restarted = concurrent.futures.Future()

    def client(index):
        answers = []
        for call in range(CALLS_EACH):
            if index == 0 and call == CALLS_EACH // 3:
                pg(state, "pause")
                pg(state, "resume")
                restarted.set_result(time.monotonic())
            instance = instances[index * CALLS_EACH + call]
            answers.append(sign(gw, headers, instance, f"restart-{uuid.uuid4()}"))
        return answers

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for batch in pool.map(client, range(CLIENTS)) for a in batch]
    check("the server was restarted during the burst", restarted.done())
    check_answers("restart", answers)
    slowest = max(a["seconds"] for a in answers)
    check(f"restart: every answer within {ANSWER_BOUND_S} s", slowest < ANSWER_BOUND_S, f"slowest {slowest:.1f} s")
    failed = [a for a in answers if a.get("status") != 200]
    # A caller retries what failed, with the same key: it completes now, and never signs twice.
    retries = [sign(gw, headers, a["instance"], a["key"]) for a in failed]
    check("restart: every retry of a failed call completes",
          all(r.get("status") == 200 or r.get("problem") == "/problems/idempotency-key-in-use" for r in retries),
          json.dumps(retries))

    # 2. An outage: calls meanwhile answer 503 in bounded time, /readyz says so, and service comes back by itself.
    pg(state, "pause")
    during = [sign(gw, headers, instances[-1 - i], f"outage-{uuid.uuid4()}") for i in range(3)]
    check("outage: every call answered 503 with a problem",
          all(a.get("status") == 503 and a["type"].startswith("application/problem+json") for a in during),
          json.dumps(during))
    slowest = max(a["seconds"] for a in during)
    check(f"outage: within {ANSWER_BOUND_S} s", slowest < ANSWER_BOUND_S, f"slowest {slowest:.1f} s")
    status, _, text = http("GET", gw + "/readyz", timeout=ANSWER_BOUND_S)
    check("outage: /readyz is 503", status == 503, text)
    pg(state, "resume")
    after = wait_for(lambda: (lambda a: a if a.get("status") == 200 else None)(
        sign(gw, headers, instances[-4], f"after-{uuid.uuid4()}")), deadline=60, interval=0.2)
    check("after the outage: signs again without a gateway restart", after is not None)

    counts = {i: row["signCalls"] for i, row in simulator_instances(sim).items()}
    twice = {i: n for i, n in counts.items() if n > 1}
    check("Altinn signed no instance twice", not twice, json.dumps(twice))
    verify = run_binary("audit", "verify", "--config", server.config_path, timeout=120)
    check("the audit chain verifies", verify.returncode == 0, verify.stdout + verify.stderr)


def check_answers(phase, answers):
    broken = [a for a in answers if "error" in a]
    check(f"{phase}: every call got a whole HTTP answer", not broken, json.dumps(broken))
    wrong = [a for a in answers if "status" in a and not (
        a["status"] == 200 or (a["status"] == 503 and a["type"].startswith("application/problem+json")))]
    check(f"{phase}: every answer is a 200 or a 503 problem", not wrong, json.dumps(wrong))
    check(f"{phase}: most calls signed", sum(a.get("status") == 200 for a in answers) >= len(answers) // 2,
          json.dumps(answers))

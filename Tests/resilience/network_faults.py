"""Random network faults on the simulator's connections, and the sign-safety invariants checked under them.
Shared by test_crash.py and test_replicas.py. Plans are seeded; the seed is printed and FAULT_SEED=<n> replays it.
"""
import json
import os
import random

from support import check, simulator_instances

FAULTS = ["closeAfterHandler", "resetAfterHandler", "closeBeforeHandler", "statusLineThenClose",
          "headersThenClose", "halfBodyThenClose", "dripHeaders"]
DRIP_MILLISECONDS = [5, 20, 100, 400]


def random_fault(rng):
    """One network-fault rule for the simulator: mostly on the sign call itself (`actions`), sometimes on the
    reads that settle a lost answer (`signing`, `process`)."""
    return {"route": rng.choices(["actions", "signing", "process"], weights=[7, 2, 1])[0],
            "fault": rng.choice(FAULTS), "count": 1, "warmOnly": rng.random() < 0.5,
            "dripMilliseconds": rng.choice(DRIP_MILLISECONDS)}


def fault_seed(name):
    """FAULT_SEED from the environment, else a fresh one; printed so that a failure can be replayed."""
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(1, 2**31))
    print(f"{name}: network-fault seed {seed} (rerun with FAULT_SEED={seed})", flush=True)
    return seed


def instance_counts(sim):
    """Sign calls per instance, from the simulator's state (not its bounded request log)."""
    return {instance: row["signCalls"] for instance, row in simulator_instances(sim).items()}


def answer_of(status, response_headers, text):
    """(status, replayed, parsed body or None, content type) of a gateway answer."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    return (status, response_headers.get("Idempotent-Replayed") == "true", body,
            response_headers.get("Content-Type", ""))


def describe(answer):
    if answer is None:
        return "no answer"
    status, replayed, body, _ = answer
    body = body if isinstance(body, dict) else {}
    detail = body.get("confirmedBy") if status == 200 else f"{body.get('type')} signMayHaveHappened={body.get('signMayHaveHappened')}"
    return f"{status}{' replayed' if replayed else ''} {detail}"


def check_sign_answer(label, answer, signed, context):
    """The invariants of one sign answer, given how many sign calls Altinn counted for its instance when the
    answer was read: a 200 means signed (by the answer or by observation), any other status is an RFC 9457
    problem, and `signMayHaveHappened: false` means Altinn holds no sign of it."""
    if answer is None:
        return
    status, _, body, content_type = answer
    if status == 200:
        check(f"{label}: a 200 means signed", signed == 1 and isinstance(body, dict)
              and body.get("confirmedBy") in ("answer", "observation"), context)
        return
    check(f"{label}: a failure is a problem", content_type.startswith("application/problem+json")
          and isinstance(body, dict) and isinstance(body.get("type"), str) and body.get("status") == status, context)
    if isinstance(body, dict) and body.get("signMayHaveHappened") is False:
        check(f"{label}: signMayHaveHappened false means not signed", signed == 0, context)


def fired_summary(fired):
    """'fault@route' → count, for the closing line of a phase."""
    kinds = {}
    for firing in fired:
        kinds[f"{firing['fault']}@{firing['route']}"] = kinds.get(f"{firing['fault']}@{firing['route']}", 0) + 1
    return sorted(kinds.items())

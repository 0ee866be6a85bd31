"""Inbound clients against the real binary.

The `simulator` and a `gateway` with configured clients, then:
  * signs requests with the reference Python `standardwebhooks` library and checks the gateway accepts
    them (and refuses a replay, a different body, a stale timestamp);
  * checks the library and the spec agree on the test vector;
  * runs schemathesis against openapi.yaml with a bounded number of cases (SCHEMATHESIS_MAX_EXAMPLES,
    default 20): no 5xx, no status/content type/body outside the spec, no hang (request timeout);
  * greps every log line, answer and audit record for every secret.
`make fuzz` runs this test with SCHEMATHESIS_MAX_EXAMPLES=500 (FUZZ_EXAMPLES).
"""
import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid

from standardwebhooks.webhooks import Webhook

from support import DEMO_A, ROOT, check, gateway_spec, http

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))


def test_clients(work, simulator, gateway):
    erp_key = "sgk_" + uuid.uuid4().hex + uuid.uuid4().hex
    fuzz_key = "sgk_" + uuid.uuid4().hex + uuid.uuid4().hex
    secret = "whsec_" + __import__("base64").b64encode(os.urandom(32)).decode()
    secret_file = os.path.join(work, "erp.whsec")
    with open(secret_file, "w") as handle:
        handle.write(secret + "\n")
    server = gateway(clients={
            "erp": {
                "description": "ERP, signing with HMAC",
                "credentials": [
                    {"id": "erp-key", "apiKeySha256": hashlib.sha256(erp_key.encode()).hexdigest()},
                    {"id": "erp-hmac", "hmacSecretFile": secret_file},
                ],
                "policy": {"apps": ["ttd/*"], "operations": ["sign", "processNext", "read"],
                           "tokenProfiles": ["dev"], "defaultTokenProfile": "dev"},
            },
            "fuzz": {
                "credentials": [{"id": "fuzz-key", "apiKeySha256": hashlib.sha256(fuzz_key.encode()).hexdigest()}],
                # One app: fuzzed apps are refused (403) before Altinn, whose answers to unknown apps are
                # not the gateway's to judge; fuzzed instances of the real app still reach the simulator.
                "policy": {"apps": ["ttd/signing-app"],
                           "operations": ["sign", "processNext", "read", "events", "admin"]},
            },
    })
    gw = server.url
    fuzz_log = os.path.join(work, "fuzz.log")
    answers = interop(gw, secret)
    answers += fuzz(gw, fuzz_key, fuzz_log)
    status, _, audit = http("GET", gw + "/v1/audit?limit=1000", headers={"Authorization": f"Bearer {fuzz_key}"})
    check("audit readable by an admin client", status == 200, audit[:200])
    check("audit names the erp client", '"clientId":"erp"' in audit)
    check("audit has the replay refusal", "refused:webhook-replayed:replayed-webhook-id" in audit)
    answers.append(audit)
    # The dev key file is not made when clients are configured: no unlisted way in.
    check("no dev client key when clients are configured", not os.path.exists(os.path.join(work, "dev-client.key")))
    haystack = "\n".join(answers)
    haystack += simulator.log_text() + server.log_text() + open(fuzz_log).read()
    raw = secret[len("whsec_"):]
    for label, value in (("whsec secret", secret), ("secret base64", raw), ("erp key", erp_key), ("fuzz key", fuzz_key)):
        check(f"no {label} in logs, answers or audit", value not in haystack)


def signed(secret, body, msg_id=None, when=None):
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = when or datetime.datetime.now(tz=datetime.timezone.utc)
    signature = Webhook(secret).sign(msg_id, when, body)
    return {"Content-Type": "application/json", "webhook-id": msg_id,
            "webhook-timestamp": str(int(when.timestamp())), "webhook-signature": signature}


def interop(gw, secret):
    answers = []
    vector = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.datetime.fromtimestamp(1614265330, tz=datetime.timezone.utc),
        '{"test": 2432232314}')
    check("standardwebhooks reproduces the spec's test vector", vector == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")

    read = f"/v1/instances/ttd/signing-app/{DEMO_A}/signees"
    status, _, text = http("GET", gw + read, headers=signed(secret, ""))
    answers.append(text)
    check("signed GET accepted", status == 200, f"{status} {text[:200]}")

    body = json.dumps({"app": "ttd/signing-app", "instanceId": DEMO_A, "mode": "parallel"}, indent=1)
    headers = signed(secret, body)
    status, _, text = http("POST", gw + "/v1/signatures", body, headers)
    answers.append(text)
    check("signed POST (library-signed, no Idempotency-Key) accepted", status == 200, f"{status} {text[:200]}")
    status, _, text = http("POST", gw + "/v1/signatures", body, headers)
    answers.append(text)
    check("replayed webhook-id refused with 409", status == 409 and "webhook-replayed" in text, f"{status} {text[:200]}")

    other = signed(secret, body)
    status, _, text = http("POST", gw + "/v1/signatures", body.replace("parallel", "single"), other)
    answers.append(text)
    check("signature over a different body refused", status == 401 and "signature-invalid" in text, f"{status}")
    stale = signed(secret, body, when=datetime.datetime.now(tz=datetime.timezone.utc) - datetime.timedelta(minutes=6))
    status, _, text = http("POST", gw + "/v1/signatures", body, stale)
    answers.append(text)
    check("stale timestamp refused", status == 401 and "signature-invalid" in text, f"{status}")
    next_body = json.dumps({"app": "ttd/signing-app", "instanceId": DEMO_A})
    rotated = signed(secret, next_body)
    rotated["webhook-signature"] = Webhook("whsec_" + "A" * 43 + "=").sign(
        rotated["webhook-id"], datetime.datetime.fromtimestamp(int(rotated["webhook-timestamp"]), tz=datetime.timezone.utc),
        next_body) + " " + rotated["webhook-signature"]
    status, _, text = http("POST", gw + "/v1/process/next", next_body, rotated)
    answers.append(text)
    # Authenticated, and then served: A is fully signed (the signed POST above) and the simulator has no faults,
    # so the process moves on. Any other answer is wrong here, a 5xx included (502/503/504 report an upstream
    # problem, and there is none).
    check("two signatures (rotation), one valid: authenticated and the process moved on (200)", status == 200,
          f"{status} {text[:200]}")
    return answers


def fuzz(gw, key, log_path):
    """Property-based: every answer inside openapi.yaml, never a 5xx, never a hang."""
    # The CLI installed next to this interpreter (pip may have just put it there, before any PATH shim exists).
    beside = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    command = [
        beside if os.path.exists(beside) else "schemathesis", "run", os.path.join(ROOT, "openapi.yaml"), "--url", gw,
        "-H", f"Authorization: Bearer {key}",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--max-examples", str(MAX_EXAMPLES), "--request-timeout", "10", "--workers", "1",
        "--generation-deterministic", "--phases", "examples,fuzzing", "--suppress-health-check", "all",
        "--generation-with-security-parameters", "false",
    ]
    started = time.monotonic()
    with open(log_path, "w") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=600)
    output = open(log_path).read()
    check("schemathesis: no 5xx, nothing outside the spec", result.returncode == 0, output[-3000:].replace(key, "<key>"))
    operations = sum(1 for item in gateway_spec()["paths"].values() for method in item if method in ("get", "post", "put", "patch", "delete"))
    check("schemathesis exercised every operation", f"{operations} selected" in output or f"{operations} operations" in output or output.count("✅") >= operations,
          output[-1500:].replace(key, "<key>"))
    print(f"schemathesis: {MAX_EXAMPLES} examples per operation in {time.monotonic() - started:.0f} s")
    return []

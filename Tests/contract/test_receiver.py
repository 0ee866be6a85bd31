"""`signing-gateway events receive`, the bundled receiver of the README's push step: it accepts only deliveries
signed with the subscription's secret (checked here with the Standard Webhooks reference library's signer), prints
them, and its exit code tells whether the events it waited for came."""
import base64
import json
import os
import subprocess
import time
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

from support import BINARY, check, free_port, http, wait_for

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


def signed_headers(secret, body, msg_id="msg_1"):
    now = datetime.now(tz=timezone.utc)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, now, body), "Content-Type": "application/json"}


def start(*args):
    port = free_port()
    process = subprocess.Popen([BINARY, "events", "receive", "--port", str(port), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    def listening():
        try:
            return http("POST", f"http://127.0.0.1:{port}/", body="{}")[0] == 401
        except OSError:
            return False

    wait_for(listening, what="the receiver listening")
    return port, process


def test_receiver_verifies_prints_and_exits_after_count(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    port, process = start("--secret", str(secret_file), "--count", "1", "--timeout", "30")
    body = json.dumps({"specversion": "1.0", "id": "evt_1", "type": "no.signinggateway.signee.signed",
                       "subject": "/party/51290001"})
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    status, _, _ = http("POST", f"http://127.0.0.1:{port}/hooks", body=body, headers=signed_headers(other, body))
    check("a delivery signed with another secret is refused (401)", status == 401, status)
    stale = signed_headers(SECRET, body)
    stale["webhook-timestamp"] = str(int(time.time()) - 3600)
    status, _, _ = http("POST", f"http://127.0.0.1:{port}/", body=body, headers=stale)
    check("a delivery with an hour-old timestamp is refused (401)", status == 401, status)
    status, _, _ = http("POST", f"http://127.0.0.1:{port}/", body=body, headers=signed_headers(SECRET, body, "msg_2"))
    check("a delivery signed with the secret is accepted (204)", status == 204, status)
    out, err = process.communicate(timeout=30)
    check("the receiver exits 0 after --count verified events", process.returncode == 0, err[-500:])
    check("it printed the verified event with its type and subject, and the event",
          "verified no.signinggateway.signee.signed /party/51290001" in out and '"id": "evt_1"' in out, out)
    check("it printed both refusals", out.count("refused") >= 3, out)  # the probe, the wrong secret, the old one


def test_receiver_times_out_and_refuses_bad_secrets():
    port, process = start("--secret", SECRET, "--count", "1", "--timeout", "1")
    out, err = process.communicate(timeout=30)
    check("without the events, --timeout ends it with exit 1", process.returncode == 1 and "timed out" in out,
          out + err)
    bad = subprocess.run([BINARY, "events", "receive", "--secret", "whsec_short"], capture_output=True, text=True,
                         timeout=30)
    check("a malformed secret is a usage error (64) saying what a secret is",
          bad.returncode == 64 and "whsec_" in bad.stderr, bad.stderr)

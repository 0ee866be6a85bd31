"""Audit checkpoints and the pre-authentication defence through the real binary.

The `simulator` and a `gateway` (SQLite); a few calls and a burst of unauthenticated ones, the gateway stopped
with SIGTERM, then:
  * the unauthenticated refusals are in the audit log as counted records (written at shutdown) whose counts
    sum to the 401 answers, and the over-limit ones were answered 429 with Retry-After;
  * `audit checkpoint --out F` writes one signed JSON line; `audit verify --checkpoint F` passes, also with
    `--public-key` from `audit public-key`;
  * a checkpoint file with a changed hash (bad signature) is refused;
  * records deleted from the tail by direct SQL (triggers dropped) are reported as a truncated tail;
  * a rewritten record with every later hash recomputed is reported as a rewritten chain.
"""
import hashlib
import json
import os
import sqlite3

from support import DEMO_A, check, http, run_binary


def cli(*args):
    return run_binary("audit", *args)


def canonical(row):
    """AuditChain.canonical (Sources/Storage/Audit/AuditChain.swift), for the rewrite test."""
    def string(value):
        if value is None:
            return "null"
        out = '"'
        for ch in value:
            code = ord(ch)
            if ch == '"':
                out += '\\"'
            elif ch == "\\":
                out += "\\\\"
            elif code < 0x20:
                out += "\\u%04x" % code
            else:
                out += ch
        return out + '"'

    def integer(value):
        return "null" if value is None else str(value)

    members = [
        ("clientId", string(row["client_id"])), ("idempotencyKey", string(row["idempotency_key"])),
        ("instance", string(row["instance"])), ("latencyMicros", integer(row["latency_micros"])),
        ("operation", string(row["operation"])), ("outcome", string(row["outcome"])),
        ("requestDigest", string(row["request_digest"])), ("requestId", string(row["request_id"])),
        ("responseDigest", string(row["response_digest"])), ("sequence", integer(row["sequence"])),
        ("sourceAddress", string(row["source_address"])), ("timeMicros", integer(row["time_micros"])),
        ("tokenProfile", string(row["token_profile"])), ("traceparent", string(row["traceparent"])),
        ("upstreamMethod", string(row["upstream_method"])), ("upstreamStatus", integer(row["upstream_status"])),
        ("upstreamURL", string(row["upstream_url"])),
    ]
    # A sign's signedData is in the chain only when present (records written before it hash as they did).
    if row["signed_data"] is not None:
        members.insert(10, ("signedData", string(row["signed_data"])))
    return ("{" + ",".join(f'"{name}":{value}' for name, value in members) + "}").encode()


def test_audit_checkpoints_and_counted_refusals(work, simulator, gateway):
    server = gateway(
        preAuth={"perSecond": 0.001, "burst": 10, "windowSeconds": 3600},
        audit={"checkpointIntervalSeconds": 3600})
    config_path = server.config_path
    gw = server.url
    key = server.client_key()
    signees = f"/v1/instances/ttd/signing-app/{DEMO_A}/signees"
    for _ in range(3):
        status, _, _ = http("GET", gw + signees, headers={"Authorization": f"Bearer {key}"})
        check("a valid read", status == 200, str(status))
    statuses = []
    for index in range(30):
        status, headers, _ = http("GET", gw + signees, headers={"Authorization": f"Bearer wrong-{index}"})
        statuses.append(status)
        if status == 429:
            retry = {k.lower(): v for k, v in headers.items()}.get("retry-after", "0")
            check("429 carries Retry-After", int(retry) >= 1, retry)
    answered = statuses.count(401)
    check("unauthenticated refusals: the burst answered 401, the rest 429",
          answered == 10 and statuses.count(429) == 20, str(statuses))
    status, _, _ = http("GET", gw + signees, headers={"Authorization": f"Bearer {key}"})
    check("a valid client from the same address is not limited", status == 200, str(status))
    server.stop()  # SIGTERM: the refusal counts and a last checkpoint are written after the server drained
    check("the gateway exited cleanly on SIGTERM", server.process.returncode == 0, str(server.process.returncode))
    check("the key file was made in the data directory", os.path.exists(os.path.join(work, "audit-checkpoint.key")))

    export = cli("export", "--config", config_path)
    records = [json.loads(line) for line in export.stdout.splitlines()]
    counted = [r for r in records if r["operation"] == "refused"]
    check("one counted record for the unauthenticated refusals",
          [r["outcome"] for r in counted] == [f"refused:unauthenticated:unknown-api-key x{answered}"],
          str([r["outcome"] for r in counted]))
    check("no secret in the audit log", key not in export.stdout and "wrong-" not in export.stdout)

    verify = cli("verify", "--config", config_path)
    check("verify passes with the stored (shutdown) checkpoint",
          verify.returncode == 0 and "1 signed checkpoint(s) matched" in verify.stdout, verify.stdout + verify.stderr)
    out = os.path.join(work, "checkpoint.json")
    made = cli("checkpoint", "--config", config_path, "--out", out)
    check("audit checkpoint --out writes a file", made.returncode == 0 and os.path.exists(out), made.stderr)
    lines = open(out).read().splitlines() if os.path.exists(out) else []
    checkpoint = json.loads(lines[0]) if len(lines) == 1 else {}
    check("the checkpoint file is one JSON line with sequence, hash, time, keyId and signature",
          len(lines) == 1 and set(checkpoint) == {"sequence", "hash", "time", "keyId", "signature"}
          and checkpoint["sequence"] == len(records), str(lines))
    public = cli("public-key", "--config", config_path).stdout.strip()
    public_file = os.path.join(work, "checkpoint.pub")
    open(public_file, "w").write(public + "\n")
    verify = cli("verify", "--config", config_path, "--checkpoint", out, "--public-key", public_file)
    check("verify --checkpoint --public-key passes", verify.returncode == 0 and "intact" in verify.stdout,
          verify.stdout + verify.stderr)

    forged = dict(checkpoint, hash="0" * 64)
    forged_path = os.path.join(work, "forged.json")
    open(forged_path, "w").write(json.dumps(forged) + "\n")
    verify = cli("verify", "--config", config_path, "--checkpoint", forged_path)
    check("a checkpoint with a bad signature is refused", verify.returncode == 1 and "refused" in verify.stdout,
          verify.stdout + verify.stderr)

    database = sqlite3.connect(os.path.join(work, "signing-gateway.sqlite"))
    database.row_factory = sqlite3.Row
    database.executescript(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; "
        "DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints;")
    # A rewritten record, every later hash recomputed: the chain alone still verifies.
    rows = [dict(r) for r in database.execute("SELECT * FROM audit_log ORDER BY sequence")]
    rows[0]["outcome"] = "failed"
    previous = rows[0]["previous_hash"]
    for row in rows:
        row["hash"] = hashlib.sha256(canonical(row) + bytes.fromhex(previous)).hexdigest()
        row["previous_hash"] = previous
        database.execute("UPDATE audit_log SET outcome = ?, previous_hash = ?, hash = ? WHERE sequence = ?",
                         (row["outcome"], row["previous_hash"], row["hash"], row["sequence"]))
        previous = row["hash"]
    database.commit()
    verify = cli("verify", "--config", config_path)
    check("the recomputed chain verifies on its own", verify.returncode == 0, verify.stdout + verify.stderr)
    verify = cli("verify", "--config", config_path, "--checkpoint", out)
    check("a rewritten chain is caught by the checkpoint", verify.returncode == 1 and "rewritten" in verify.stdout,
          verify.stdout + verify.stderr)
    # A truncated tail.
    database.execute("DELETE FROM audit_log WHERE sequence >= ?", (len(records) - 1,))
    database.commit()
    database.close()
    verify = cli("verify", "--config", config_path, "--checkpoint", out)
    check("a truncated tail is caught by the checkpoint", verify.returncode == 1 and "truncated" in verify.stdout,
          verify.stdout + verify.stderr)

"""What each kind of audit record costs on disk, on SQLite, pinned with strace on the real gateway.

A sign's commit (its idempotency record, answer, audit record and events) is fsynced before the answer: that is
what keeps a retry from signing twice after a power loss. The audit record of a read changes nothing, so it is
written before the answer (it survives the gateway's process being killed) but fsynced only with the next synced
commit or checkpoint (which a thread of its own runs, off the commit path). Proved here: a run of reads makes no
fsync on the commit path, a run of signs at least one per sign, and every read's record is still there, chained,
after a SIGKILL.
"""
import json
import os
import re
import signal
import subprocess
import uuid

from support import check, http, run_binary, wait_for

READS = 100
SIGNS = 10


def syncs(trace_path):
    """The fsync family's calls so far, as (thread id, file), in order."""
    text = open(trace_path).read() if os.path.exists(trace_path) else ""
    return re.findall(r"^(\d+)\s+(?:fdatasync|fsync)\(\d+<([^>]*)>", text, re.M)


def traced(pid, trace_path):
    """strace attached to every thread of the gateway, writing the fsync family to trace_path."""
    tracer = subprocess.Popen(["strace", "-f", "-y", "-qq", "-e", "trace=fdatasync,fsync", "-o", trace_path, "-p", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # strace says nothing once attached; a sync made by a marker request shows it is listening.
    return tracer


def test_read_audit_records_are_written_not_fsynced_and_survive_a_kill(simulator, gateway, tmp_path):
    server = gateway(events={"trackingInitialIntervalSeconds": 3600, "trackingMaxIntervalSeconds": 3600})
    key = server.client_key()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    instances = [simulator.new_instance("A") for _ in range(SIGNS)]
    read_path = f"/v1/instances/ttd/signing-app/{instances[0]}/signees"
    check("a warm-up read answers", http("GET", server.url + read_path, headers=auth)[0] == 200)

    trace = str(tmp_path / "fsync.trace")
    tracer = traced(server.process.pid, trace)
    try:
        # Attached once a synced write (a sign) shows up in the trace.
        status, _, text = http("POST", server.url + "/v1/signatures", headers={**auth, "Idempotency-Key": '"marker"'},
                               body=json.dumps({"app": "ttd/signing-app", "instanceId": instances[0],
                                                "mode": "parallel"}))
        check("the marker sign answers", status == 200, text[:300])
        wait_for(lambda: len(syncs(trace)) >= 1, what="strace attached (the marker sign's fsync traced)")
        before_reads = len(syncs(trace))
        for _ in range(READS):
            assert http("GET", server.url + read_path, headers=auth)[0] == 200
        after_reads = len(syncs(trace))
        for number, instance in enumerate(instances[1:], start=1):
            status, _, text = http("POST", server.url + "/v1/signatures",
                                   headers={**auth, "Idempotency-Key": f'"sign-{number}"'},
                                   body=json.dumps({"app": "ttd/signing-app", "instanceId": instance,
                                                    "mode": "parallel"}))
            assert status == 200, text[:300]
    finally:
        tracer.terminate()
        tracer.wait(timeout=10)
    # The commit path is the store's writer thread: in the sign phase, the thread that synced most (two per sign).
    # The checkpointer, a thread of its own, syncs now and then whatever the requests are, and is not counted.
    traced_syncs = syncs(trace)
    calls = [tid for tid, _ in traced_syncs]
    signing = calls[after_reads:]
    writer = max(set(signing), key=signing.count) if signing else None
    during_reads = traced_syncs[before_reads:after_reads]
    read_syncs = sum(1 for tid, _ in during_reads if tid == writer)
    sign_syncs = signing.count(writer)
    # What the writer may sync during the reads without a record costing one: after each checkpoint that emptied
    # the WAL, the next commit starts it over and syncs its header (SQLite does at any synchronous level). The
    # checkpointer (every 100 ms, a thread of its own) syncs the database file once per such checkpoint, so its
    # count bounds those; the longer the reads take (a loaded machine), the more there are. One fsync per record
    # would be 100 more.
    checkpoints = sum(1 for tid, file in during_reads if tid != writer and not file.endswith("-wal"))
    check(f"{READS} reads made no fsync of their own on the commit path (at most one per checkpoint, {checkpoints})",
          read_syncs <= checkpoints + 2, read_syncs)
    check(f"{SIGNS - 1} signs made at least one fsync each", sign_syncs >= SIGNS - 1, sign_syncs)

    # Killed without a chance to flush anything of its own: the reads' records were written before the answers.
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    export = run_binary("audit", "export", "--config", server.config_path)
    reads = [json.loads(line) for line in export.stdout.splitlines() if '"operation":"signingState"' in line]
    check(f"after SIGKILL the audit log holds all {READS + 1} read records", len(reads) == READS + 1,
          f"{len(reads)}: {export.stderr[-300:]}")
    verify = run_binary("audit", "verify", "--config", server.config_path)
    check("and the chain verifies", verify.returncode == 0 and "intact" in verify.stdout, verify.stdout + verify.stderr)

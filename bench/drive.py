#!/usr/bin/env python3
"""N sequential requests on one keep-alive connection (bench/profile.sh): a fixed amount of work to profile.

  drive.py KIND N GATEWAY_PORT KEY [INSTANCE...]
    KIND read: GET /v1/instances/ttd/signing-app/{first instance}/signees
         sign: POST /v1/signatures (parallel) of the instances round robin, each with a fresh Idempotency-Key
         healthz: GET /healthz (no auth, no store, no upstream)
Prints `requests=N seconds=S non2xx=K`.
"""
import http.client
import json
import sys
import time
import uuid

kind, n, port, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
instances = sys.argv[5:] or ["51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02"]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
auth = {"Authorization": f"Bearer {key}"}
bad = 0
start = time.monotonic()
for i in range(n):
    if kind == "read":
        conn.request("GET", f"/v1/instances/ttd/signing-app/{instances[0]}/signees", headers=auth)
    elif kind == "sign":
        body = json.dumps({"app": "ttd/signing-app", "instanceId": instances[i % len(instances)], "mode": "parallel"})
        conn.request("POST", "/v1/signatures", body,
                     {**auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    else:
        conn.request("GET", "/healthz")
    response = conn.getresponse()
    response.read()
    if response.status >= 300:
        bad += 1
print(f"requests={n} seconds={time.monotonic() - start:.3f} non2xx={bad}")

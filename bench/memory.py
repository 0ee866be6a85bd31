#!/usr/bin/env python3
"""RSS of the gateway with CONNECTIONS requests in flight at once.

  memory.py PID GATEWAY_PORT SIMULATOR_PORT PATH AUTH CONNECTIONS

The simulator is slowed first (`PUT /_simulator/faults {"latencyMs": HOLD_MS}`), so every request stays open in the
gateway (an inbound connection, its task, its curl transfer, queued behind libcurl's per-host connection limit);
CONNECTIONS keep-alive connections each send one GET PATH; once every request has reached the gateway (its
inbound side, counted by the kernel's accept queue being empty and a settle time), VmRSS and VmHWM are read from
/proc/PID/status. Then the delay is lifted and every answer is read (counted by status). Prints key=value pairs.
"""
import http.client
import json
import socket
import sys
import time

pid, gw, sim, path, auth, connections = sys.argv[1:7]
connections = int(connections)
HOLD_MS = 4000


def status_kib(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def faults(body):
    c = http.client.HTTPConnection("127.0.0.1", int(sim), timeout=10)
    c.request("PUT", "/_simulator/faults", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status


def threads():
    import os
    return len(os.listdir(f"/proc/{pid}/task"))


before_rss, before_threads = status_kib("VmRSS"), threads()
faults({"latencyMs": HOLD_MS})
sockets = []
try:
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n\r\n").encode()
    start = time.monotonic()
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", int(gw)), timeout=60)
        s.sendall(request)
        sockets.append(s)
    opened = time.monotonic() - start
    time.sleep(1.5)  # every request read and handed to the upstream (or queued for a connection to it)
    rss, hwm = status_kib("VmRSS"), status_kib("VmHWM")
    busy_threads = threads()
finally:
    faults({"latencyMs": 0})
statuses = {}
for s in sockets:
    s.settimeout(60)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        code = data.split(b" ", 2)[1].decode() if data else "none"
    except OSError as error:
        code = type(error).__name__
    statuses[code] = statuses.get(code, 0) + 1
    s.close()
print(f"inflight={connections} before_rss_kib={before_rss} inflight_rss_kib={rss} inflight_hwm_kib={hwm} "
      f"threads_before={before_threads} threads_inflight={busy_threads} open_seconds={opened:.2f} "
      f"statuses={','.join(f'{k}:{v}' for k, v in sorted(statuses.items()))}")

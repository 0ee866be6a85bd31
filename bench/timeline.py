#!/usr/bin/env python3
"""Wall-time stages of sequential requests from `perf trace -T -p GATEWAY` (bench/profile.sh).

  timeline.py KIND TRACE_FILE [ROLES_FILE]   (ROLES_FILE: where to write "tid role" lines: loop, curl, sqlite)

Threads are told apart by what they do: the event loop (comm NIO-*) reads requests from and writes answers to
client sockets; the curl thread polls (curl_multi_poll) and sends to / receives from the upstream; the SQLite
thread is the one that fsyncs. A request runs from the event loop's read of it to its write of the answer; in
between, each system call of interest is a mark:
  in          event loop reads the request                 out        event loop writes the answer
  curl-wake   someone writes the curl thread's wake-up     up-send    curl thread sends to the upstream
  up-recv     curl thread receives the upstream's answer   db-wake    the SQLite thread returns from its wait
  db-write    the SQLite thread's first write (WAL)        db-sync    its fdatasync/fsync returns
  loop-wake   someone writes the event loop's eventfd
The time between consecutive marks is attributed to the stage that ends at the later mark; the medians over the
requests are printed in request order (requests whose sequence of marks differs from the most common one are
counted and left out).
"""
import collections
import re
import statistics
import sys

kind, path = sys.argv[1], sys.argv[2]
LINE = re.compile(r"^\s*(\d+\.\d+) \(\s*(?:([\d.]+) ms)?\s*\): (.+?)/(\d+)\s+(\.\.\. \[continued\]: )?(\w+)\((.*?)\)\)?\s*(?:= (\S+).*|\.\.\.)?\s*$")

calls = {}
for line in open(path, errors="replace"):
    m = LINE.match(line)
    if not m:
        continue
    start, dur, comm, tid, continued, name, args, ret = m.groups()
    key = (int(tid), start, name)
    call = calls.setdefault(key, {"start": float(start), "tid": int(tid), "comm": comm.strip(), "name": name,
                                  "args": "", "dur": None, "ret": None})
    if not continued:
        call["args"] = args
    if dur is not None:
        call["dur"] = float(dur)
    if ret is not None:
        call["ret"] = ret
events = sorted(calls.values(), key=lambda c: c["start"])


def ret_int(call):
    try:
        return int(call["ret"], 0)
    except (TypeError, ValueError):
        return -1


def end(call):
    return call["start"] + (call["dur"] or 0)


socket_read = {"read", "recvfrom", "recvmsg", "readv", "recv"}
socket_write = {"write", "writev", "sendto", "sendmsg", "send", "pwrite64"}
# What each fd is, from any line that names it (perf trace annotates some calls' fds, not writev's).
fd_kind = {}
for c in events:
    m = re.match(r"fd: (\d+)<([^>]*)>", c["args"])
    if m:
        fd_kind[m.group(1)] = "eventfd" if "eventfd" in m.group(2) else "socket" if "socket:" in m.group(2) \
            else "file"
for c in events:
    m = re.match(r"fd: (\d+)", c["args"])
    c["fd"] = m.group(1) if m else None
    c["kind"] = fd_kind.get(c["fd"], "?")
    if c["kind"] == "?":  # traced with -e: no fd annotations; tell by the call
        if c["name"] in ("sendto", "recvfrom", "sendmsg", "recvmsg", "send", "recv"):
            c["kind"] = "socket"
        elif c["name"] in ("pwrite64", "pread64", "fdatasync", "fsync"):
            c["kind"] = "file"
        elif c["name"] in ("read", "write") and c["args"].rstrip(")").endswith("count: 8"):
            c["kind"] = "eventfd"
        elif c["name"] in ("read", "write", "readv", "writev"):
            c["kind"] = "socket"
        fd_kind.setdefault(c["fd"], c["kind"])
by_tid = collections.defaultdict(list)
for c in events:
    by_tid[c["tid"]].append(c)
sqlite_tids = {t for t, cs in by_tid.items() if any(c["name"] in ("fdatasync", "fsync") for c in cs)}
loop_tids = {t for t, cs in by_tid.items() if cs[0]["comm"].startswith("NIO-")}
# The curl thread: not an event loop, sends requests (more than the one byte of a wake-up) on sockets.
curl_tids = {t for t, cs in by_tid.items() if t not in loop_tids
             and any(c["name"] in ("sendto", "send") and c["kind"] == "socket" and "len: 1," not in c["args"]
                     for c in cs)}
# curl_multi_wakeup: one byte sent on a socketpair; the curl thread drains it with recvfrom(size: 64).
curl_wakefds = {c["fd"] for t in curl_tids for c in by_tid[t] if c["name"] == "recvfrom" and "size: 64" in c["args"]}
loop_eventfds = {c["fd"] for t in loop_tids for c in by_tid[t] if c["name"] == "read" and c["kind"] == "eventfd"}

if len(sys.argv) > 3:
    with open(sys.argv[3], "a") as f:
        for role, tids in (("event-loop", loop_tids), ("curl", curl_tids), ("sqlite", sqlite_tids)):
            for t in sorted(tids):
                f.write(f"{t} {role}\n")

marks = []  # (time, label)
for c in events:
    t, name, args, fdk = c["tid"], c["name"], c["args"], c["kind"]
    if t in loop_tids and name in socket_read and fdk == "socket" and ret_int(c) > 0:
        marks.append((end(c), "in"))
    elif t in loop_tids and name in socket_write and fdk == "socket" and ret_int(c) > 0:
        marks.append((c["start"], "out"))
    elif t in curl_tids and name in socket_write and fdk == "socket" and ret_int(c) > 0:
        marks.append((c["start"], "up-send"))
    elif t in curl_tids and name in socket_read and fdk == "socket" and c["fd"] not in curl_wakefds \
            and ret_int(c) > 0:
        marks.append((end(c), "up-recv"))
    elif t in sqlite_tids and name in ("fdatasync", "fsync"):
        marks.append((end(c), "db-sync"))
    elif t in sqlite_tids and name in ("pwrite64", "write") and fdk == "file":
        marks.append((c["start"], "db-write"))
    elif t in sqlite_tids and name == "futex" and "WAIT" in args and c["dur"] is not None and c["dur"] > 0.02:
        marks.append((end(c), "db-wake"))
    elif t not in curl_tids and name in ("sendto", "send", "write") and c["fd"] not in (None,) and \
            "len: 1," in args:
        marks.append((c["start"], "curl-wake"))
    elif t not in loop_tids and name == "write" and c["fd"] in loop_eventfds:
        marks.append((c["start"], "loop-wake"))
marks.sort()

# Requests: from an "in" to the next "out"; consecutive marks of the same label collapse (a WAL write of several
# pages, a body received in two reads) into the first, except db-sync and up-recv, kept at their last.
requests, current = [], None
for time, label in marks:
    if label == "in" and current is None:
        current = [(time, "in")]
    elif current is not None:
        if label == "out":
            current.append((time, "out"))
            requests.append(current)
            current = None
        elif label == "in":
            continue  # the rest of a request's bytes
        elif current[-1][1] == label:
            if label in ("db-sync", "up-recv"):
                current[-1] = (time, label)
        else:
            current.append((time, label))
if not requests:
    print(f"{kind}: no request found in {path} (threads: loop {sorted(loop_tids)}, curl {sorted(curl_tids)}, "
          f"sqlite {sorted(sqlite_tids)})")
    sys.exit(0)
shapes = collections.Counter(tuple(l for _, l in r) for r in requests)
shape, count = shapes.most_common(1)[0]
chosen = [r for r in requests if tuple(l for _, l in r) == shape]
print(f"{kind}: {len(requests)} requests traced, {count} with the common sequence of {len(shape)} marks "
      f"(others: {len(requests) - count}); wall time in, median per step (ms):")
total = statistics.median(r[-1][0] - r[0][0] for r in chosen)
for i in range(1, len(shape)):
    values = [r[i][0] - r[i - 1][0] for r in chosen]
    print(f"    {shape[i - 1]:>10} -> {shape[i]:<10} {statistics.median(values):8.3f}   "
          f"(p90 {sorted(values)[int(len(values) * 0.9) - 1 if len(values) > 1 else 0]:.3f})")
print(f"    {'in -> out (whole request inside the gateway process)':<42} {total:8.3f}")

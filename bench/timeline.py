#!/usr/bin/env python3
"""Wall-time stages of sequential requests from `perf trace -T -p GATEWAY` (bench/profile.sh).

  timeline.py KIND TRACE_FILE

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
socket_write = {"write", "writev", "sendto", "sendmsg", "send"}
by_tid = collections.defaultdict(list)
for c in events:
    by_tid[c["tid"]].append(c)
sqlite_tids = {t for t, cs in by_tid.items() if any(c["name"] in ("fdatasync", "fsync") for c in cs)}
curl_tids = {t for t, cs in by_tid.items() if any(c["name"] in ("poll", "ppoll") for c in cs)
             and any(c["name"] in socket_write and "socket:" in c["args"] for c in cs)}
loop_tids = {t for t, cs in by_tid.items() if cs[0]["comm"].startswith("NIO-")}
# The eventfds: the event loop's (read by a loop thread), the curl thread's wake-up (read by the curl thread).
loop_eventfds = {re.match(r"fd: (\d+)", c["args"]).group(1) for t in loop_tids for c in by_tid[t]
                 if c["name"] == "read" and "eventfd" in c["args"]}
curl_wakefds = {re.match(r"fd: (\d+)", c["args"]).group(1) for t in curl_tids for c in by_tid[t]
                if c["name"] in socket_read and ("eventfd" in c["args"] or "pipe" in c["args"]
                                                 or ("socket:" in c["args"] and False))}

marks = []  # (time, label)
for c in events:
    t, name, args = c["tid"], c["name"], c["args"]
    fd = (re.match(r"fd: (\d+)", args) or [None, None])[1]
    if t in loop_tids and name in socket_read and "socket:" in args and ret_int(c) > 0:
        marks.append((end(c), "in"))
    elif t in loop_tids and name in socket_write and "socket:" in args and ret_int(c) > 0:
        marks.append((c["start"], "out"))
    elif t in curl_tids and name in socket_write and "socket:" in args and ret_int(c) > 0:
        marks.append((c["start"], "up-send"))
    elif t in curl_tids and name in socket_read and "socket:" in args and ret_int(c) > 0:
        marks.append((end(c), "up-recv"))
    elif t in sqlite_tids and name in ("fdatasync", "fsync"):
        marks.append((end(c), "db-sync"))
    elif t in sqlite_tids and name in ("pwrite64", "write") and "socket:" not in args:
        marks.append((c["start"], "db-write"))
    elif t in sqlite_tids and name == "futex" and "WAIT" in args and c["dur"] is not None and c["dur"] > 0.02:
        marks.append((end(c), "db-wake"))
    elif name == "write" and fd in loop_eventfds and t not in loop_tids:
        marks.append((c["start"], "loop-wake"))
    elif name == "write" and fd in curl_wakefds and t not in curl_tids:
        marks.append((c["start"], "curl-wake"))
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

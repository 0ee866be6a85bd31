#!/usr/bin/env bash
# Where one request's time goes (issue 18, point 4): the read path (GET …/signees: one upstream call + an audit
# record) and the sign path (POST /v1/signatures parallel), sequential on one keep-alive connection, release build.
#   ctx        per thread: context switches per request (/proc/PID/task/*/status before/after N requests) and
#              CPU per request (perf stat -e task-clock,context-switches,cpu-migrations -p PID)
#   trace      wall-time stages from the system calls of each thread (perf trace, 30 requests each): receipt of
#              the request, hand-off to the curl thread, upstream exchange(s), hand-off to the SQLite thread,
#              WAL write + fdatasync, hand-off back, the answer's write (bench/timeline.py)
#   record     perf record -g (cpu-clock sampling; this VM has no hardware counters) over N requests: top
#              functions, inclusive and self, and self by library
#   syncs      fdatasync/fsync calls of the SQLite thread under an open-loop read load (SYNC_RATE, 1000 req/s):
#              how many, how long, on which file (the WAL, or the database: a checkpoint)
#   callgrind  valgrind --tool=callgrind: instructions per request (N=200 read, N=200 sign, each dump taken on its
#              own after zeroing, plus an idle dump of the same length) by stage, by function (bench/stages.py)
# `bench/profile.sh [section…]` (default: all). Output in OUT (default /tmp/sg-profile): raw files and summary.txt.
# STORAGE=postgres: the gateway on a private PostgreSQL cluster (fsync=on, port BENCH_POSTGRES_PORT) instead of
# SQLite, one fresh database per gateway (the SQLite-thread sections then have nothing to show).
# Needs perf (linux-perf) and valgrind: installed when missing. BIN: an existing release build.
set -euo pipefail
cd "$(dirname "$0")/.."
SECTIONS=${*:-trace ctx record syncs callgrind}
N=${N:-200}
OUT=${OUT:-/tmp/sg-profile}
. bench/lib.sh
bench_need linux-perf valgrind curl wrk
command -v swift >/dev/null || { echo "swift (for swift demangle) not on PATH" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  swift build -c release --product signing-gateway >/dev/null
  BIN=.build/release/signing-gateway
fi
BIN=$(readlink -f "$BIN")
rm -rf "$OUT"; mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/sg-profile.XXXXXX)
pids=()
PG_STATE="$PWD/.build-pg-profile"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  [ "${STORAGE:-sqlite}" = postgres ] && TEST_POSTGRES_STATE="$PG_STATE" bash scripts/test-postgres.sh stop 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
SUMMARY="$OUT/summary.txt"
say() { echo "$@" | tee -a "$SUMMARY"; }

SIM=$(free_port)
start_simulator "$SIM" "$WORK"
TOKEN=$(cat "$WORK/simulator.token")
INSTANCES=$(create_instances "$SIM" 64 B)
if [ "${STORAGE:-sqlite}" = postgres ]; then
  bench_need postgresql
  TEST_POSTGRES_STATE="$PG_STATE" TEST_POSTGRES_PORT=${BENCH_POSTGRES_PORT:-55440} TEST_POSTGRES_FSYNC=on \
    bash scripts/test-postgres.sh start >/dev/null 2>"$WORK/pg-start.log"
  PG_URL=$(sed -n 's/^SIGNING_GATEWAY_TEST_POSTGRES_URL=//p' "$PG_STATE/env")
  PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
fi
# The storage of a new gateway: SQLite in its data directory, or a fresh PostgreSQL database.
storage_json() {
  if [ "${STORAGE:-sqlite}" = postgres ]; then
    local db="sg_profile_$RANDOM$RANDOM"
    "$PSQL" "${PG_URL%/*}/postgres" -q -c "CREATE DATABASE $db" >/dev/null
    echo "{\"engine\": \"postgres\", \"postgresURL\": \"${PG_URL%/*}/$db\"}"
  else
    echo '{"engine": "sqlite"}'
  fi
}

# start_gateway [wrapper…]: the SQLite gateway on a fresh data directory (GW, GW_PID, GW_DIR).
start_gateway() {
  GW=$(free_port); GW_DIR=$(mktemp -d "$WORK/gw.XXXX")
  cp "$WORK/simulator.token" "$GW_DIR/"
  # Tracking's first poll an hour away: a sign tracks its instance (as in the bench), but no poll of the
  # tracker runs during the measurement and counts as the requests' work.
  write_gateway_config "$GW_DIR/gw.json" "$GW" "$GW_DIR" "$SIM" "$(storage_json)" \
    '"events": {"trackingInitialIntervalSeconds": 3600, "trackingMaxIntervalSeconds": 3600}'
  "$@" "$BIN" serve --config "$GW_DIR/gw.json" >"$GW_DIR/gw.log" 2>&1 & pids+=($!)
  GW_PID=$!
  for _ in $(seq 1 1200); do curl -fs -o /dev/null "http://127.0.0.1:$GW/healthz" && break; sleep 0.1; done
  curl -fs -o /dev/null "http://127.0.0.1:$GW/healthz"
  KEY=$(cat "$GW_DIR/dev-client.key")
}
stop_gateway() { kill -INT "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; }
drive() { python3 bench/drive.py "$1" "$2" "$GW" "$KEY" $INSTANCES; }
warm() { drive read 20 >/dev/null; drive sign 20 >/dev/null; }

say "== profile: $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null), $(nproc) cores, $BIN, storage ${STORAGE:-sqlite}"

# Thread name and voluntary/involuntary switches of every thread of PID. A pool thread may end between the listing
# and the reading (Dispatch ends idle ones): it is left out, with the switches it took with it.
thread_switches() {
  local t comm status
  for t in /proc/$1/task/*; do
    comm=$(tr ' ' '_' <"$t/comm" 2>/dev/null) && status=$(cat "$t/status" 2>/dev/null) || continue
    printf '%s\t%s\t%s\t%s\n' "${t##*/}" "$comm" \
      "$(awk '/^voluntary_ctxt_switches/ {print $2}' <<<"$status")" \
      "$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' <<<"$status")"
  done
}

if [[ " $SECTIONS " == *" trace "* || " $SECTIONS " == *" ctx "* || " $SECTIONS " == *" record "* ]]; then
  start_gateway; warm
  : >"$OUT/roles.txt"
fi
TRACED=read,readv,write,writev,sendto,recvfrom,pwrite64,fdatasync,fsync,futex
if [[ " $SECTIONS " == *" trace "* ]]; then
  say; say "-- wall-time stages from system calls (perf trace -e $TRACED, sequential, 30 requests each; medians)"
  say "   (tracing slows each traced system call: compare the steps with each other, and the whole with the untraced"
  say "    wall time per request of the ctx section)"
  for kind in read sign; do
    perf trace -p "$GW_PID" -T -e "$TRACED" -o "$OUT/trace-$kind.txt" 2>/dev/null &
    perf_pid=$!; sleep 1
    drive "$kind" 30 >/dev/null
    sleep 0.3; kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    python3 bench/timeline.py "$kind" "$OUT/trace-$kind.txt" "$OUT/roles.txt" | tee -a "$SUMMARY"
  done
fi

if [[ " $SECTIONS " == *" ctx "* ]]; then
  say; say "-- context switches and CPU per request (sequential, one connection; N=$((N * 5)) read, N=$N sign, N=$((N * 5)) healthz)"
  for kind in healthz read sign; do
    n=$N; [ "$kind" = sign ] || n=$((N * 5))
    thread_switches "$GW_PID" >"$OUT/ctx-$kind.before"
    perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$GW_PID" -o "$OUT/perfstat-$kind.txt" &
    perf_pid=$!; sleep 0.3
    result=$(drive "$kind" "$n")
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    thread_switches "$GW_PID" >"$OUT/ctx-$kind.after"
    python3 - "$OUT/ctx-$kind.before" "$OUT/ctx-$kind.after" "$OUT/perfstat-$kind.txt" "$n" "$kind" "$result" \
      "$OUT/roles.txt" <<'PY' | tee -a "$SUMMARY"
import re, sys
before, after, stat, n, kind, result = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
roles = {}
try:
    for line in open(sys.argv[7]):
        tid, role = line.split()
        roles[tid] = role
except OSError:
    pass
def read(path):
    rows = {}
    for line in open(path):
        tid, name, vol, invol = line.rstrip("\n").split("\t")
        rows[tid] = (name, int(vol), int(invol))
    return rows
b, a = read(before), read(after)
groups = {}
for tid, (name, vol, invol) in a.items():
    bv, bi = b.get(tid, (name, 0, 0))[1:]
    key = roles.get(tid) or ("event-loop" if name.startswith("NIO-") else
                             "other (cooperative pool, timers): " + re.sub(r"\d+", "#", name))
    g = groups.setdefault(key, [0, 0, 0])
    g[0] += vol - bv; g[1] += invol - bi; g[2] += 1 if (vol - bv) + (invol - bi) else 0
text = open(stat).read()
def stat_value(event):
    m = re.search(r"([\d.,]+)\s+(?:msec\s+)?" + re.escape(event), text)
    return float(m.group(1).replace(",", "")) if m else float("nan")
seconds = float(re.search(r"seconds=([\d.]+)", result).group(1))
print(f"{kind}: {result}; wall {1000 * seconds / n:.3f} ms/request (client included), gateway CPU "
      f"{stat_value('task-clock') / n:.3f} ms/request, context switches {stat_value('context-switches') / n:.2f}/request, "
      f"migrations {stat_value('cpu-migrations') / n:.2f}/request")
total = 0
for key, (vol, invol, active) in sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
    if vol + invol == 0:
        continue
    total += vol + invol
    print(f"    {key:<48} voluntary {vol / n:6.2f}/req  involuntary {invol / n:5.2f}/req  ({active} threads active)")
print(f"    {'all threads':<28} {total / n:.2f} switches/request")
PY
  done
fi

if [[ " $SECTIONS " == *" record "* ]]; then
  say; say "-- perf record -g (cpu-clock samples, call graphs by DWARF unwinding), sequential"
  for kind in read sign; do
    n=$((N * 5)); [ "$kind" = sign ] && n=$((N * 2))
    perf record -F 4999 -g --call-graph dwarf,16384 -p "$GW_PID" -o "$OUT/perf-$kind.data" 2>/dev/null &
    perf_pid=$!; sleep 0.5
    drive "$kind" "$n" >/dev/null
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    # (head closes its pipe early: the reports' exit status is not the script's)
    { perf report -i "$OUT/perf-$kind.data" --no-children --sort dso --stdio -g none 2>/dev/null || true; } \
      | grep -v '^#' | grep -v '^$' | head -15 >"$OUT/perf-$kind-dso.txt" || true
    { perf report -i "$OUT/perf-$kind.data" --children --sort sym --stdio -g none 2>/dev/null || true; } \
      | grep -v '^#' | grep -v '^$' | head -100 | swift demangle --simplified >"$OUT/perf-$kind-children.txt" || true
    { perf report -i "$OUT/perf-$kind.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null || true; } \
      | grep -v '^#' | grep -v '^$' | head -60 | swift demangle --simplified >"$OUT/perf-$kind-self.txt" || true
    say "$kind ($n requests): CPU samples by library (self):"
    sed 's/^/    /' "$OUT/perf-$kind-dso.txt" | tee -a "$SUMMARY"
    say "  top self symbols:"; head -20 "$OUT/perf-$kind-self.txt" | cut -c1-160 | sed 's/^/    /' | tee -a "$SUMMARY"
  done
fi

if [[ " $SECTIONS " == *" trace "* || " $SECTIONS " == *" ctx "* || " $SECTIONS " == *" record "* ]]; then
  stop_gateway
fi

if [[ " $SECTIONS " == *" syncs "* ]]; then
  start_gateway
  say; say "-- fsyncs under an open-loop read load (${SYNC_RATE:-1000} req/s, 10 s, wrk with bench/load.lua): where p99 spikes come from"
  bench_need wrk
  perf trace -T -e fdatasync,fsync,pwrite64 -p "$GW_PID" -o "$OUT/syncs.txt" 2>/dev/null &
  perf_pid=$!; sleep 1
  ls -l "/proc/$GW_PID/fd" >"$OUT/syncs-fds.txt"
  TARGET="" AUTH="Bearer $KEY" RATE=$(( ${SYNC_RATE:-1000} / 2 )) wrk -t2 -c64 -d10s --latency -s bench/load.lua \
    "http://127.0.0.1:$GW/v1/instances/ttd/signing-app/51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02/signees" \
    >"$OUT/syncs.wrk" 2>&1
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  python3 - "$OUT/syncs.txt" "$OUT/syncs-fds.txt" "$OUT/syncs.wrk" <<'PY' | tee -a "$SUMMARY"
import collections, re, statistics, sys
fds = {}
for line in open(sys.argv[2]):
    m = re.search(r" (\d+) -> (.*)$", line)
    if m:
        fds[m.group(1)] = m.group(2).rsplit("/", 1)[-1]
calls = collections.defaultdict(list)
writes = collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^\s*([\d.]+) \(\s*([\d.]+) ms\): \S+ (?:\.\.\. \[continued\]: )?(\w+)\(fd: (\d+)", line)
    if not m:
        continue
    start, dur, name, fd = float(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
    if name == "pwrite64":
        writes[fds.get(fd, fd)] += 1
    else:
        calls[(name, fds.get(fd, fd))].append((start, dur))
wrk = open(sys.argv[3]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk)
lat = {p: re.search(rf"\s{p}%\s+(\S+)", wrk) for p in (50, 90, 99)}
print(f"load: {rps.group(1) if rps else '?'} req/s, latency " + ", ".join(f"p{p} {m.group(1)}" for p, m in lat.items() if m))
for (name, target), items in sorted(calls.items()):
    durs = sorted(d for _, d in items)
    print(f"  {name}({target}): {len(items)} calls, {len(items) / 10:.0f}/s, duration p50 {statistics.median(durs):.2f} ms, "
          f"p99 {durs[int(len(durs) * 0.99) - 1]:.2f} ms, max {durs[-1]:.2f} ms")
print("  pwrite64 calls by file: " + ", ".join(f"{k} {v}" for k, v in writes.most_common()))
PY
  stop_gateway
fi



if [[ " $SECTIONS " == *" callgrind "* ]]; then
  say; say "-- callgrind: instructions per request (N=$N sequential each, after 20+20 warm-up requests)"
  # Valgrind 3.19 cannot read the toolchain's DWARF 5 (it gives up on the binary): a copy without debug
  # information (symbols stay), its resource bundle beside it; and a shim for valgrind's rt_sigsuspend crash
  # (bench/valgrind-shim.c).
  mkdir -p "$WORK/valgrind"
  objcopy --strip-debug "$BIN" "$WORK/valgrind/signing-gateway"
  cp -r "$(dirname "$BIN")"/*.resources "$WORK/valgrind/" 2>/dev/null || true
  cc -shared -fPIC -O2 -o "$WORK/valgrind/shim.so" bench/valgrind-shim.c
  REAL_BIN=$BIN; BIN="$WORK/valgrind/signing-gateway"
  start_gateway env LD_PRELOAD="$WORK/valgrind/shim.so" valgrind --tool=callgrind \
    --callgrind-out-file="$OUT/callgrind.out.%p" --dump-instr=no --collect-atstart=yes --separate-threads=no
  BIN=$REAL_BIN
  warm
  callgrind_control -z "$GW_PID" >/dev/null
  for kind in read sign idle; do
    start_ns=$(date +%s%N)
    if [ "$kind" = idle ]; then sleep "$idle_seconds"; else drive "$kind" "$N" >"$OUT/callgrind-$kind.drive"; fi
    [ "$kind" = read ] && idle_seconds=$(python3 -c "print(($(date +%s%N) - $start_ns) / 1e9)")
    callgrind_control --dump="$kind" "$GW_PID" >/dev/null
  done
  # The same read from 16 connections at once (wrk, closed loop, 10 s): whether work shared between requests
  # (group commits, one poll for several transfers) makes a read cheaper under load. A fourth dump, after the three
  # bench/stages.py reads.
  read_url="http://127.0.0.1:$GW/v1/instances/ttd/signing-app/51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02/signees"
  loaded=$(wrk -t1 -c16 -d10s -H "Authorization: Bearer $KEY" "$read_url" | awk '/requests in/ {print $1}')
  callgrind_control --dump=read-16 "$GW_PID" >/dev/null
  stop_gateway
  ls "$OUT"/callgrind.out.* >"$OUT/callgrind-files.txt"
  python3 bench/stages.py "$OUT" "$N" | tee -a "$SUMMARY"
  loaded_dump=$(ls "$OUT"/callgrind.out.*.4 2>/dev/null | head -n 1)
  if [ -n "$loaded_dump" ] && [ "${loaded:-0}" -gt 0 ]; then
    total=$(callgrind_annotate "$loaded_dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    say "  read from 16 connections at once: $loaded reads, $((total / loaded)) instructions per read (idle not subtracted)"
  fi
fi
say; say "raw files: $OUT"

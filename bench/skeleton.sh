#!/usr/bin/env bash
# What the stack alone adds to a read at half load: the gateway's `GET …/signees` against a skeleton on the same
# stack (Hummingbird, the gateway's libcurl client; no auth, no store, no audit record: bench/skeleton.patch), and
# the skeleton with each connection's task on its event loop (SKEL_EL=1). For ROUNDS (3) rounds, each of the three
# in a fresh process: a closed loop (wrk -t2 -c64, 5 s), then half of its rate open loop (bench/load.lua, 10 s)
# against the simulator directly and then through it; prints the p50 and p99 added over the simulator, the machine's
# idle share, and the CPU and context switches per read. FIXED_RATE=N runs every open loop at N/s instead.
# SKELETON_BIN reuses a built skeleton; otherwise HEAD with the patch applied is built in /tmp/sg-skeleton-src
# (release, cold: 10–15 minutes here). A report: exits 0 whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_need wrk curl git
if [ -z "${SKELETON_BIN:-}" ]; then
  SRC=/tmp/sg-skeleton-src
  rm -rf "$SRC" && mkdir -p "$SRC"
  git archive HEAD | tar -x -C "$SRC"
  echo "building the skeleton in $SRC (log: $SRC/build.log)"
  (cd "$SRC" && git apply "$OLDPWD/bench/skeleton.patch" &&
    swift build -c release --product signing-gateway >build.log 2>&1) || { tail -30 "$SRC/build.log"; exit 1; }
  SKELETON_BIN="$SRC/.build/release/signing-gateway"
fi
BIN=$(readlink -f "$SKELETON_BIN")
INSTANCE=51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02
SIGNING="/ttd/signing-app/instances/$INSTANCE/signing"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
pids=(); WORK=""
trap bench_cleanup EXIT
run() { # name url auth wrk-args…
  local name=$1 url=$2 auth=$3; shift 3
  TARGET="" AUTH="$auth" wrk "$@" --latency -s bench/load.lua "$url" >"$WORK/$name.wrk" 2>&1
  python3 bench/report.py wrk "$name" "$WORK/$name.wrk" >/dev/null
}
get() { python3 bench/report.py get "$1" "$2"; }
for round in $(seq 1 "${ROUNDS:-3}"); do
  for variant in gateway skeleton skeleton-on-event-loop; do
    WORK=$(mktemp -d /tmp/sg-skeleton.XXXXXX); export RESULTS="$WORK/results.json"; pids=()
    SIM=$(free_port); GW=$(free_port)
    start_simulator "$SIM" "$WORK"
    TOKEN=$(cat "$WORK/simulator.token")
    el=$([ "$variant" = skeleton-on-event-loop ] && echo 1 || echo 0)
    SKEL_URL="http://127.0.0.1:$SIM$SIGNING" SKEL_TOKEN="$TOKEN" SKEL_EL=$el start_sqlite_gateway "$GW"
    case $variant in
      gateway) path="/v1/instances/ttd/signing-app/$INSTANCE/signees"; auth="Bearer $(cat "$WORK/dev-client.key")" ;;
      *) path=/_skel; auth="" ;;
    esac
    for _ in $(seq 1 20); do curl -fs -o /dev/null -H "Authorization: $auth" "http://127.0.0.1:$GW$path"; done
    RATE="" run closed "http://127.0.0.1:$GW$path" "$auth" -t2 -c64 -d5s
    rate=${FIXED_RATE:-$(python3 -c "print(round($(get closed rps) / 2))")}
    per_thread=$(python3 -c "print($rate / 2)")
    RATE=$per_thread run direct "http://127.0.0.1:$SIM$SIGNING" "Bearer $TOKEN" -t2 -c64 -d10s
    idle0=$(machine_idle); cpu0=$(proc_usage "$GW_PID")
    RATE=$per_thread run through "http://127.0.0.1:$GW$path" "$auth" -t2 -c64 -d10s
    cpu1=$(proc_usage "$GW_PID"); idle1=$(machine_idle)
    python3 - "$round" "$variant" "$(get closed rps)" "$rate" "$(get through p99)" "$(get direct p99)" \
      "$(get through p50)" "$(get direct p50)" "$idle0" "$idle1" "$cpu0" "$cpu1" "$(get through requests)" <<'PY'
import sys
a = sys.argv[1:]
round_, variant, closed, rate = a[0], a[1], float(a[2]), float(a[3])
p99, d99, p50, d50 = map(float, a[4:8])
(i0, t0), (i1, t1) = (map(float, x.split()) for x in a[8:10])
(c0, s0, _), (c1, s1, _) = (map(float, x.split()) for x in a[10:12])
n = float(a[12])
print(f"round {round_} {variant:<24} closed loop {closed:6.0f}/s; at {rate:5.0f}/s: p99 added {p99 - d99:5.2f} ms,"
      f" p50 added {p50 - d50:4.2f} ms, machine idle {100 * (i1 - i0) / (t1 - t0):3.0f} %,"
      f" CPU {(c1 - c0) * 1000 / n:.3f} ms and {(s1 - s0) / n:.1f} context switches per read")
PY
    bench_cleanup
  done
done

#!/usr/bin/env bash
# The read path of two or more builds, alternating: `bash bench/ab-read.sh OLD_BIN NEW_BIN…` starts, for each build
# in turn, a simulator and a SQLite gateway, then runs GET …/signees three ways: closed loop (wrk -t2 -c64, 10 s),
# open loop at RATE (2,900/s, bench/load.lua's fixed schedule, 10 s) and sequential (one connection, 5 s), printing
# each run's rate and latency and the gateway's CPU (its kernel part too) and context switches per read. ROUNDS (2)
# rounds over all the builds: alternating rounds make builds comparable on a noisy machine, where two separate
# `make bench` runs are not. A report: exits 0 whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_need wrk curl
ROUNDS=${ROUNDS:-2}; RATE=${RATE:-2900}
SIGNEES="/v1/instances/ttd/signing-app/51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02/signees"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
pids=()
trap bench_cleanup EXIT
for round in $(seq 1 "$ROUNDS"); do
  for BIN in "$@"; do
    WORK=$(mktemp -d /tmp/sg-ab-read.XXXXXX); export RESULTS="$WORK/results.json"; pids=()
    SIM=$(free_port); GW=$(free_port)
    start_simulator "$SIM" "$WORK"; start_sqlite_gateway "$GW"
    KEY=$(cat "$WORK/dev-client.key")
    for _ in $(seq 1 20); do curl -fs -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$GW$SIGNEES"; done
    echo "== round $round: $BIN"
    for mode in closed open seq; do
      case $mode in
        closed) args=(-t2 -c64 -d10s); rate="" ;;
        open) args=(-t2 -c64 -d10s); rate=$(python3 -c "print($RATE / 2)") ;;
        seq) args=(-t1 -c1 -d5s); rate="" ;;
      esac
      before=$(proc_usage "$GW_PID")
      RATE=$rate TARGET="" AUTH="Bearer $KEY" wrk "${args[@]}" --latency -s bench/load.lua \
        "http://127.0.0.1:$GW$SIGNEES" >"$WORK/$mode.wrk" 2>&1
      after=$(proc_usage "$GW_PID")
      python3 bench/report.py wrk "$mode" "$WORK/$mode.wrk" | sed 's/^/  /'
      python3 - "$before" "$after" "$(python3 bench/report.py get "$mode" requests)" <<'PY'
import sys
(c0, s0, k0), (c1, s1, k1) = (map(float, a.split()) for a in sys.argv[1:3])
n = float(sys.argv[3])
print(f"     gateway {(c1 - c0) * 1000 / n:.3f} ms CPU ({(k1 - k0) * 1000 / n:.3f} in the kernel),"
      f" {(s1 - s0) / n:.2f} context switches per read")
PY
    done
    bench_cleanup
  done
done

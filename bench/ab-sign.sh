#!/usr/bin/env bash
# The sign path of two builds side by side: `bash bench/ab-sign.sh OLD_BIN NEW_BIN` starts one simulator and a
# SQLite gateway of each build on it, then alternates ROUNDS (4) rounds of wrk (SECONDS_PER_RUN=4 each) of
# POST /v1/signatures (parallel) against each, printing p50 and req/s per round and the median ratio new/old.
# CONNECTIONS=1 (the default): one keep-alive connection, one sign after another (latency); more: a closed loop
# over 2 threads (throughput). Alternating rounds against one upstream make the two builds comparable on a noisy
# machine, where two separate `make bench` runs are not. A report: exits 0 whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: bench/ab-sign.sh OLD_BIN NEW_BIN" >&2; exit 2; }
OLD=$(readlink -f "$1"); NEW=$(readlink -f "$2")
ROUNDS=${ROUNDS:-4}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
CONNECTIONS=${CONNECTIONS:-1}
THREADS=$([ "$CONNECTIONS" -gt 1 ] && echo 2 || echo 1)
. bench/lib.sh
bench_need wrk curl
BIN=$OLD
WORK=$(mktemp -d /tmp/sg-ab.XXXXXX)
pids=()
trap bench_cleanup EXIT
SIM=$(free_port); start_simulator "$SIM" "$WORK"
OLD_PORT=$(free_port); NEW_PORT=$(free_port)
# The first gateway writes the dev client key into its data directory; the second gets a copy.
write_gateway_config "$WORK/old.json" "$OLD_PORT" "$WORK" "$SIM" '{"engine": "sqlite"}'
"$OLD" serve --config "$WORK/old.json" >"$WORK/old.log" 2>&1 & pids+=($!)
ready "http://127.0.0.1:$OLD_PORT/healthz"
mkdir -p "$WORK/new"; cp "$WORK/dev-client.key" "$WORK/simulator.token" "$WORK/new/"
write_gateway_config "$WORK/new.json" "$NEW_PORT" "$WORK/new" "$SIM" '{"engine": "sqlite"}'
"$NEW" serve --config "$WORK/new.json" >"$WORK/new.log" 2>&1 & pids+=($!)
ready "http://127.0.0.1:$NEW_PORT/healthz"
KEY=$(cat "$WORK/dev-client.key")
INSTANCES=$(create_instances "$SIM" 512 B)
export INSTANCES
echo "signs over $CONNECTIONS connection(s), p50 and req/s per round: old $OLD, new $NEW"
ratios=()
for round in $(seq 1 "$ROUNDS"); do
  for build in old:$OLD_PORT new:$NEW_PORT; do
    TARGET=gateway-sign AUTH="Bearer $KEY" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency \
      -s bench/load.lua "http://127.0.0.1:${build#*:}/" >"$WORK/out" 2>&1
    rate=$(awk '/Requests\/sec/ {print $2}' "$WORK/out")
    echo "round $round ${build%%:*}: p50 $(awk '$1 == "50%" {print $2}' "$WORK/out"), $rate req/s"
    if [ "${build%%:*}" = old ]; then old_rate=$rate; else ratios+=("$(python3 -c "print($rate / $old_rate)")"); fi
  done
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
ratios = sorted(map(float, sys.argv[1:]))
listed = " ".join(f"{x:.2f}" for x in ratios)
print(f"new / old req/s per round: {listed}; median {statistics.median(ratios):.2f}x")
PY

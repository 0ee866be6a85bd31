#!/usr/bin/env bash
# Sequential sign latency of two builds side by side: `bash bench/ab-seq.sh OLD_BIN NEW_BIN` starts one simulator
# and a SQLite gateway of each build on it, then alternates ROUNDS (4) rounds of wrk -t1 -c1 (one keep-alive
# connection, SECONDS_PER_RUN=4 each) of POST /v1/signatures (parallel) against each, printing p50 and req/s per
# round. Alternating rounds against one upstream make the two builds' figures comparable on a noisy machine, where
# two separate `make bench` runs are not. A report: exits 0 whatever the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: bench/ab-seq.sh OLD_BIN NEW_BIN" >&2; exit 2; }
OLD=$(readlink -f "$1"); NEW=$(readlink -f "$2")
ROUNDS=${ROUNDS:-4}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
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
echo "sequential signs, p50 and req/s per round: old $OLD, new $NEW"
for round in $(seq 1 "$ROUNDS"); do
  for build in old:$OLD_PORT new:$NEW_PORT; do
    TARGET=gateway-sign AUTH="Bearer $KEY" wrk -t1 -c1 -d"${SECONDS_PER_RUN}s" --latency -s bench/load.lua \
      "http://127.0.0.1:${build#*:}/" >"$WORK/out" 2>&1
    echo "round $round ${build%%:*}: p50 $(awk '$1 == "50%" {print $2}' "$WORK/out")," \
      "$(awk '/Requests\/sec/ {print $2}' "$WORK/out") req/s"
  done
done

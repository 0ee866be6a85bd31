#!/usr/bin/env bash
# One run, same machine, same upstream: wrk against
#   (a) the simulator directly (POST …/actions sign, GET …/signing),
#   (b) the gateway (POST /v1/signatures parallel = actions + signing upstream; GET …/signees = signing),
#   (c) nginx reverse-proxying the same simulator with an injected Authorization header.
# Prints req/s, p50, p99 and the ratios b/a and b/c. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

need=""; for p in wrk nginx-light; do dpkg -s $p >/dev/null 2>&1 || need="$need $p"; done
if [ -n "$need" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null; fi

swift build -c release --product signing-gateway >/dev/null
BIN=.build/release/signing-gateway
WORK=$(mktemp -d /tmp/sg-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SIM=$(free_port); GW=$(free_port); NGX=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
ready() { for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "not ready: $1"; exit 1; }

$BIN simulate --port "$SIM" --data-dir "$WORK" >"$WORK/sim.log" 2>&1 & pids+=($!)
ready "http://127.0.0.1:$SIM/_simulator/instances"
cat >"$WORK/gw.json" <<JSON
{"port": $GW, "dataDirectory": "$WORK", "logLevel": "warning",
 "upstream": {"environment": "http://127.0.0.1:$SIM"},
 "tokenProfiles": {"dev": {"kind": "static", "tokenFile": "$WORK/simulator.token"}}, "defaultTokenProfile": "dev"}
JSON
$BIN serve --config "$WORK/gw.json" >"$WORK/gw.log" 2>&1 & pids+=($!)
ready "http://127.0.0.1:$GW/healthz"
TOKEN=$(cat "$WORK/simulator.token"); KEY=$(cat "$WORK/dev-client.key")
# BASELINE_BIN: an earlier build (e.g. without the durable store) run side by side on the same upstream.
if [ -n "${BASELINE_BIN:-}" ]; then
  GW0=$(free_port); mkdir -p "$WORK/baseline"; cp "$WORK/dev-client.key" "$WORK/baseline/"
  sed -e "s/\"port\": $GW/\"port\": $GW0/" -e "s#\"dataDirectory\": \"$WORK\"#\"dataDirectory\": \"$WORK/baseline\"#" "$WORK/gw.json" >"$WORK/gw0.json"
  "$BASELINE_BIN" serve --config "$WORK/gw0.json" >"$WORK/gw0.log" 2>&1 & pids+=($!)
  ready "http://127.0.0.1:$GW0/healthz"
fi

mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
error_log $WORK/nginx/logs/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  upstream altinn { server 127.0.0.1:$SIM; keepalive 128; }
  server {
    listen 127.0.0.1:$NGX;
    location / {
      proxy_pass http://altinn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer $TOKEN";
      proxy_set_header Accept "application/json";
    }
  }
}
NGINX
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
ready "http://127.0.0.1:$NGX/_simulator/instances"

INSTANCE=51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02
# Signs spread over many instances, as in production: the gateway serializes writes per instance (one Altinn
# write at a time), so 64 connections signing one instance would measure that queue, not the gateway.
SIGN_INSTANCES=${SIGN_INSTANCES:-512}
INSTANCES=$(for _ in $(seq 1 "$SIGN_INSTANCES"); do
  curl -fs -X POST -H 'Content-Type: application/json' -d '{"template":"B"}' "http://127.0.0.1:$SIM/_simulator/instances" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
done | tr '\n' ' ')
export INSTANCES
cat >"$WORK/post.lua" <<'LUA'
-- Every request carries a fresh Idempotency-Key (a replay would not reach Altinn) and the next instance of
-- INSTANCES. TARGET=altinn posts to the instance's …/actions; TARGET=gateway posts a sign of it to /v1/signatures.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("AUTH")
local counter = 0
local prefix = ""
local instances = {}
for id in string.gmatch(os.getenv("INSTANCES"), "%S+") do instances[#instances + 1] = id end
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  prefix = tostring(math.random(1, 2147483647)) .. "-"
  counter = math.random(0, #instances - 1)
end
function request()
  counter = counter + 1
  local instance = instances[(counter % #instances) + 1]
  wrk.headers["Idempotency-Key"] = prefix .. counter
  if os.getenv("TARGET") == "gateway" then
    return wrk.format(nil, "/v1/signatures", nil,
      '{"app":"ttd/signing-app","instanceId":"' .. instance .. '","mode":"parallel"}')
  end
  return wrk.format(nil, "/ttd/signing-app/instances/" .. instance .. "/actions", nil, '{"action":"sign"}')
end
LUA
cat >"$WORK/get.lua" <<'LUA'
wrk.headers["Authorization"] = os.getenv("AUTH")
LUA

run() { # name url script target auth
  TARGET="$4" AUTH="$5" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/$3" "$2" >"$WORK/$1.wrk" 2>&1
  python3 - "$WORK/$1.wrk" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def lat(p):
    m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", text)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{sys.argv[2]:<28} {rps:>10.0f} req/s   p50 {lat(50):7.2f} ms   p99 {lat(99):7.2f} ms   non-2xx {errors.group(1) if errors else 0}")
open(sys.argv[1] + ".rps", "w").write(str(rps))
PY
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION on $(nproc) cores, everything on this machine"
run sim-actions   "http://127.0.0.1:$SIM/" post.lua altinn "Bearer $TOKEN"
run nginx-actions "http://127.0.0.1:$NGX/" post.lua altinn ""
run gateway-sign  "http://127.0.0.1:$GW/" post.lua gateway "Bearer $KEY"
# The same sign load while a second wrk floods the gateway with unauthenticated requests (an unknown API key,
# from the same address): those are limited per source (preAuth.*) and audited as counts, so signs should
# keep most of their rate. The flood starts first and outlasts the sign run.
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-64}
FLOOD_DURATION=${FLOOD_DURATION:-$(( ${DURATION%s} + 2 ))s}
AUTH="Bearer not-a-configured-key" wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$FLOOD_DURATION" -s "$WORK/get.lua" \
  "http://127.0.0.1:$GW/v1/instances/ttd/signing-app/$INSTANCE/signees" >"$WORK/flood.wrk" 2>&1 &
flood_pid=$!
sleep 1  # let the flood ramp up before measuring
run gateway-sign-flooded "http://127.0.0.1:$GW/" post.lua gateway "Bearer $KEY"
wait "$flood_pid"
python3 - "$WORK/flood.wrk" "$(cat "$WORK/gateway-sign.wrk.rps")" "$(cat "$WORK/gateway-sign-flooded.wrk.rps")" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
quiet, flooded = float(sys.argv[2]), float(sys.argv[3])
print(f"unauthenticated flood: {rps:.0f} req/s (all 401/429)")
print(f"sign path under the flood / without: {flooded / quiet:.2f}x")
PY
if [ -n "${BASELINE_BIN:-}" ]; then
  run baseline-sign "http://127.0.0.1:$GW0/" post.lua gateway "Bearer $KEY"
  echo "sign path, this build / BASELINE_BIN: $(python3 -c "print(f'{$(cat $WORK/gateway-sign.wrk.rps)/$(cat $WORK/baseline-sign.wrk.rps):.2f}x')")"
fi
run sim-signing   "http://127.0.0.1:$SIM/ttd/signing-app/instances/$INSTANCE/signing" get.lua "" "Bearer $TOKEN"
run nginx-signing "http://127.0.0.1:$NGX/ttd/signing-app/instances/$INSTANCE/signing" get.lua "" ""
run gateway-signees "http://127.0.0.1:$GW/v1/instances/ttd/signing-app/$INSTANCE/signees" get.lua "" "Bearer $KEY"

r() { cat "$WORK/$1.wrk.rps"; }
python3 - "$(r sim-actions)" "$(r nginx-actions)" "$(r gateway-sign)" "$(r sim-signing)" "$(r nginx-signing)" "$(r gateway-signees)" <<'PY'
import sys
a1, c1, b1, a2, c2, b2 = map(float, sys.argv[1:])
print(f"sign path (2 upstream calls per request): gateway/simulator {b1/a1:.2f}x   gateway/nginx {b1/c1:.2f}x")
print(f"read path (1 upstream call, plain forward): gateway/simulator {b2/a2:.2f}x   gateway/nginx {b2/c2:.2f}x")
PY
echo "RSS after load (KiB): gateway $(ps -o rss= -p "${pids[1]}")  simulator $(ps -o rss= -p "${pids[0]}")"

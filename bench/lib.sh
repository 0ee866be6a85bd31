# Helpers shared by the bench scripts (sourced, not run). Expects WORK and pids=() set.

# Debian packages by name; one `apt-get update` before the first install of a run.
bench_need() { # package...
  local missing="" p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  echo "installing:$missing" >&2
  if [ -z "${BENCH_APT_UPDATED:-}" ]; then apt-get update -qq; BENCH_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ready() { for _ in $(seq 1 400); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "not ready: $1" >&2; exit 1; }

# bench_cleanup (the scripts' EXIT trap): stops what was started, the private PostgreSQL cluster if one was
# (pg_started, set by prepare_postgres_gateway; PG_STATE), and removes WORK unless KEEP=1.
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${pg_started:-}" ]; then TEST_POSTGRES_STATE="$PG_STATE" bash scripts/test-postgres.sh stop 2>/dev/null || true; fi
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}

# start_sqlite_gateway PORT: a gateway on SQLite in WORK against the simulator at SIM; sets GW_PID.
start_sqlite_gateway() {
  write_gateway_config "$WORK/gw.json" "$1" "$WORK" "$SIM" '{"engine": "sqlite"}'
  "$BIN" serve --config "$WORK/gw.json" >"$WORK/gw.log" 2>&1 & pids+=($!)
  GW_PID=$!
  ready "http://127.0.0.1:$1/healthz"
}

# start_simulator PORT DIR: the simulator, writing DIR/simulator.token and DIR/dev-client.key.
start_simulator() {
  "$BIN" simulate --port "$1" --data-dir "$2" >"$2/sim.log" 2>&1 & pids+=($!)
  SIM_PID=$!
  ready "http://127.0.0.1:$1/_simulator/instances"
}

# write_gateway_config FILE PORT DIR SIM_PORT STORAGE_JSON [EXTRA_MEMBERS]: a static token profile against the
# simulator; EXTRA_MEMBERS (e.g. `"events": {…}`) are added to the top-level object.
write_gateway_config() {
  cat >"$1" <<JSON
{"port": $2, "dataDirectory": "$3", "logLevel": "warning",
 "upstream": {"environment": "http://127.0.0.1:$4"},
 "tokenProfiles": {"dev": {"kind": "static", "tokenFile": "$3/simulator.token"}}, "defaultTokenProfile": "dev",
 "storage": $5${6:+, $6}}
JSON
}

# nginx_proxy_config DIR PORT SIM_PORT TOKEN: nginx reverse-proxying the simulator, injecting the token.
nginx_proxy_config() {
  mkdir -p "$1/logs"
  cat >"$1/nginx.conf" <<NGINX
worker_processes 1;
error_log $1/logs/error.log;
pid $1/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  upstream altinn { server 127.0.0.1:$3; keepalive 128; }
  server {
    listen 127.0.0.1:$2;
    location / {
      proxy_pass http://altinn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer $4";
      proxy_set_header Accept "application/json";
    }
  }
}
NGINX
}

# create_instances SIM_PORT COUNT TEMPLATE: ids of new simulator instances, space separated.
create_instances() {
  python3 - "$@" <<'PY'
import http.client, json, sys
port, count, template = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", int(port))
ids = []
for _ in range(count):
    c.request("POST", "/_simulator/instances", json.dumps({"template": template}), {"Content-Type": "application/json"})
    ids.append(json.loads(c.getresponse().read())["id"])
print(" ".join(ids))
PY
}

# machine_idle: "idle-ticks all-ticks" of every CPU so far (/proc/stat: idle + iowait, and the sum of all fields).
machine_idle() { awk '/^cpu /{print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

# proc_usage PID...: "CPU-seconds context-switches kernel-CPU-seconds" of the processes, summed over their threads
# (user + system CPU from /proc/PID/stat, and the system part alone; voluntary + involuntary switches from each
# /proc/PID/task/*/status; a thread that ended takes its switches with it). Gone pids and threads count 0.
proc_usage() {
  python3 -c '
import os, sys
tick = os.sysconf("SC_CLK_TCK"); cpu = 0; system = 0; switches = 0
for pid in sys.argv[1:]:
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        continue
    cpu += int(f[11]) + int(f[12]); system += int(f[12])
    for tid in tids:
        try:
            for line in open(f"/proc/{pid}/task/{tid}/status"):
                if "ctxt_switches" in line:
                    switches += int(line.split()[1])
        except OSError:
            continue
print(cpu / tick, switches, system / tick)' "$@"
}
simulator_total() { curl -fs "http://127.0.0.1:$1/_simulator/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# The benchmarks' PostgreSQL: a private cluster (state directory $1, port BENCH_POSTGRES_PORT, fsync=on, the
# default a production server runs with) and the configuration of a gateway on it at port $2 ($WORK/gwp.json,
# data directory $WORK/pg, sharing the SQLite gateway's keys; `sslmode=$BENCH_PG_SSLMODE` when set, else TLS, which
# the cluster offers). Sets PG_URL and pg_started; the caller starts the gateway.
prepare_postgres_gateway() {
  pg_started=1
  TEST_POSTGRES_STATE="$1" TEST_POSTGRES_PORT=${BENCH_POSTGRES_PORT:-55440} TEST_POSTGRES_FSYNC=on \
    bash scripts/test-postgres.sh start >/dev/null 2>"$WORK/pg-start.log"
  PG_URL=$(sed -n 's/^SIGNING_GATEWAY_TEST_POSTGRES_URL=//p' "$1/env")
  mkdir -p "$WORK/pg"; cp "$WORK/dev-client.key" "$WORK/simulator.token" "$WORK/pg/"
  write_gateway_config "$WORK/gwp.json" "$2" "$WORK/pg" "$SIM" "{\"engine\": \"postgres\", \"postgresURL\": \"$PG_URL${BENCH_PG_SSLMODE:+?sslmode=$BENCH_PG_SSLMODE}\"}"
}

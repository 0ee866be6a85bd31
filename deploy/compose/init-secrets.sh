#!/bin/sh
# Creates the files compose.yaml mounts, once, with random values, and the replicas' configuration
# (secrets/gateway.json: compose/gateway.json with the SHA-256 of each client's API key filled in; made
# again on every run). Everything stays on this machine (git-ignored, excluded from the image build context).
set -eu
here="$(dirname "$0")"
dir="$here/secrets"
mkdir -p "$dir"
umask 022
# Compose mounts file secrets as plain bind mounts (uid/gid/mode are ignored outside Swarm), so
# the files must be readable by the postgres (999) and gateway (10001) users in the containers.
if [ ! -s "$dir/postgres-password" ]; then
  openssl rand -hex 24 > "$dir/postgres-password"
  echo "created $dir/postgres-password"
fi
# Shared by both replicas: the key sealing subscription secrets and the audit checkpoint key.
if [ ! -s "$dir/subscription-secrets.key" ]; then
  echo "k1:$(openssl rand -base64 32)" > "$dir/subscription-secrets.key"
  echo "created $dir/subscription-secrets.key"
fi
if [ ! -s "$dir/audit-checkpoint.key" ]; then
  openssl rand -base64 32 > "$dir/audit-checkpoint.key"
  echo "created $dir/audit-checkpoint.key"
fi
# Client credentials: an API key per client (callers send "Authorization: Bearer $(cat secrets/erp.key)"),
# and the erp client's Standard Webhooks secret (for signed requests, README "Clients").
api_key() {
  if [ ! -s "$1" ]; then
    printf 'sgk_%s' "$(openssl rand -hex 32)" > "$1"
    echo "created $1"
  fi
}
api_key "$dir/erp.key"
api_key "$dir/ops.key"
if [ ! -s "$dir/erp.whsec" ]; then
  printf 'whsec_%s' "$(openssl rand -base64 32)" > "$dir/erp.whsec"
  echo "created $dir/erp.whsec"
fi
sha256() { openssl dgst -sha256 -r < "$1" | cut -d' ' -f1; }
sed -e "s/\"id\": \"erp-key\", \"apiKeySha256\": \"[0-9a-f]*\"/\"id\": \"erp-key\", \"apiKeySha256\": \"$(sha256 "$dir/erp.key")\"/" \
    -e "s/\"id\": \"ops-key\", \"apiKeySha256\": \"[0-9a-f]*\"/\"id\": \"ops-key\", \"apiKeySha256\": \"$(sha256 "$dir/ops.key")\"/" \
    "$here/gateway.json" > "$dir/gateway.json"
echo "wrote $dir/gateway.json (compose/gateway.json with the clients' key hashes)"

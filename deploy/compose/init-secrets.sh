#!/bin/sh
# Creates the files compose.yaml mounts as secrets, once, with random values. They stay on this
# machine (git-ignored, excluded from the image build context).
set -eu
dir="$(dirname "$0")/secrets"
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
if [ ! -s "$dir/client-key" ]; then
  printf 'sgk_%s' "$(openssl rand -hex 32)" > "$dir/client-key"
  echo "created $dir/client-key (callers send: Authorization: Bearer \$(cat $dir/client-key))"
fi

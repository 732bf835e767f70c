#!/usr/bin/env bash
# Stops the daemons scripts/ci/slurm-up.sh started, by the pids it recorded (never by name).
set -uo pipefail

DIR="${TRELLIS_SLURM_DIR:-/tmp/trellis-slurm}"
export SLURM_CONF="$DIR/slurm.conf"

# Running test jobs first, so slurmd has nothing left to reap.
if [ -s "$DIR/run/slurmctld.pid" ] && kill -0 "$(cat "$DIR/run/slurmctld.pid")" 2>/dev/null; then
  scancel --user="$(id -un)" >/dev/null 2>&1 || true
fi

stop() {
  local pidfile="$DIR/run/$1.pid"
  [ -s "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "slurm-down: $1 ($pid) ignored TERM, killing" >&2; kill -KILL "$pid"; fi
  fi
  rm -f "$pidfile"
}
stop slurmd
stop slurmctld
stop munged
echo "slurm-down: stopped" >&2

#!/usr/bin/env bash
# Starts a private single-node Slurm (munged, slurmctld, slurmd) for the Slurm integration tests.
#
#   scripts/ci/slurm-up.sh            # prints `export SLURM_CONF=...` on its last line
#   eval "$(scripts/ci/slurm-up.sh | tail -1)"
#
# Everything lives in $TRELLIS_SLURM_DIR (default /tmp/trellis-slurm): config, state, spool, logs, the munge
# socket and the pid files that scripts/ci/slurm-down.sh uses to stop exactly these daemons. Nothing is
# written to /etc. No accounting (no slurmdbd), no cgroups, no systemd: it runs as root in a container/VM.
# Environment: TRELLIS_SLURM_DIR, TRELLIS_SLURM_PORT (slurmctld port, slurmd uses +1; default 6817).
set -euo pipefail

DIR="${TRELLIS_SLURM_DIR:-/tmp/trellis-slurm}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

log() { echo "slurm-up: $*" >&2; }

# 1. Packages, only when missing.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
   || ! command -v sbatch >/dev/null; then
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends slurm-wlm munge >&2 \
    || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends slurm-wlm munge >&2; }
fi

mkdir -p "$DIR"/{state,spool,log,munge,run}
chmod 700 "$DIR/munge"
CONF="$DIR/slurm.conf"
export SLURM_CONF="$CONF"

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# 2. Munge: a private key and socket so we never touch a system munged.
KEY="$DIR/munge/munge.key"
if [ ! -s "$KEY" ]; then
  if [ -r /etc/munge/munge.key ]; then cp /etc/munge/munge.key "$KEY"
  else dd if=/dev/urandom of="$KEY" bs=1 count=1024 status=none; fi
fi
chmod 400 "$KEY"
SOCKET="$DIR/munge/munge.socket"
if ! alive "$DIR/run/munged.pid"; then
  rm -f "$SOCKET" "$SOCKET.lock"
  munged --force --socket="$SOCKET" --key-file="$KEY" --pid-file="$DIR/run/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
  for _ in $(seq 50); do [ -S "$SOCKET" ] && alive "$DIR/run/munged.pid" && break; sleep 0.1; done
  alive "$DIR/run/munged.pid" || { log "munged did not start"; cat "$DIR/log/munged.log" >&2; exit 1; }
fi
if command -v munge >/dev/null && ! munge -n --socket="$SOCKET" | unmunge --socket="$SOCKET" >/dev/null; then
  log "munge round trip failed"; exit 1
fi

# Ports: those of the running cluster in $DIR, else TRELLIS_SLURM_PORT, else the first free pair from 6817
# (so CI can run beside another private cluster on the same machine).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if alive "$DIR/run/slurmctld.pid" && [ -f "$CONF" ]; then
  PORT="$(sed -n 's/^SlurmctldPort=//p' "$CONF")"
elif [ -n "${TRELLIS_SLURM_PORT:-}" ]; then
  PORT="$TRELLIS_SLURM_PORT"
else
  PORT=6817
  while port_busy "$PORT" || port_busy $((PORT + 1)); do PORT=$((PORT + 2)); done
fi

# 3. slurm.conf for this one node, sized from the machine (slurmd -C reads the hardware).
HOST="$(hostname -s)"
HW="$(slurmd -C | head -1)"
CPUS="$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$HW")"; CPUS="${CPUS:-$(nproc)}"
MEM="$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$HW")"
[ -n "$MEM" ] || MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))
MEM=$(( MEM * 95 / 100 ))   # headroom so slurmd never finds less than configured
USER_NAME="$(id -un)"
cat > "$CONF" <<EOF
# Written by scripts/ci/slurm-up.sh: a single-node test cluster, no accounting.
ClusterName=trellis-ci
SlurmctldHost=${HOST}(127.0.0.1)
SlurmctldPort=${PORT}
SlurmdPort=$((PORT + 1))
SlurmUser=${USER_NAME}
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${SOCKET}
StateSaveLocation=${DIR}/state
SlurmdSpoolDir=${DIR}/spool/slurmd-%n
SlurmctldPidFile=${DIR}/run/slurmctld.pid
SlurmdPidFile=${DIR}/run/slurmd.pid
SlurmctldLogFile=${DIR}/log/slurmctld.log
SlurmdLogFile=${DIR}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
# Start queued array tasks as soon as others end (the default main-scheduler pass waits seconds).
SchedulerParameters=sched_interval=1,sched_min_interval=200000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs (and array tasks) stay visible to squeue this long, since there is no sacct here.
MinJobAge=600
# Jobs without --mem get this much per CPU instead of the whole node, so they can share it.
DefMemPerCPU=512
MaxArraySize=10001
MaxJobCount=100000
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
Waittime=0
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
EOF
# slurmd 22.05 loads a cgroup plugin even with proctrack/linuxproc + task/none ("disabled" only exists from
# 23.x), so name the hierarchy that is mounted. Nothing is constrained.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then CG=cgroup/v2; else CG=cgroup/v1; fi
cat > "$DIR/cgroup.conf" <<EOF
CgroupPlugin=${CG}
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
EOF
mkdir -p "$DIR/spool/slurmd-${HOST}"

# 4. Daemons (they daemonise and write the pid files named in slurm.conf).
if ! alive "$DIR/run/slurmctld.pid"; then
  slurmctld -f "$CONF" -i 2>>"$DIR/log/slurmctld.stderr" || { cat "$DIR/log/slurmctld.log" >&2; exit 1; }
fi
for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
if ! alive "$DIR/run/slurmd.pid"; then
  slurmd -f "$CONF" 2>>"$DIR/log/slurmd.stderr" || { cat "$DIR/log/slurmd.log" >&2; exit 1; }
fi

# 5. Wait until the node is idle.
state=""
for _ in $(seq 120); do
  state="$(sinfo -h -N -n "$HOST" -o '%t' 2>/dev/null | head -1 || true)"
  case "$state" in idle|mix|alloc) break;; esac
  sleep 0.5
done
case "$state" in
  idle|mix|alloc) ;;
  *) log "node never became idle (state '$state')"
     tail -20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
     exit 1;;
esac
log "up: node ${HOST} ${CPUS} CPUs ${MEM} MB, conf ${CONF}"
echo "export SLURM_CONF=${CONF}"

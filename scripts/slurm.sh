#!/usr/bin/env bash
# A real single-node Slurm cluster for git-exp's Slurm end-to-end tests (CI and local use).
#
#   scripts/slurm.sh install   install slurmctld, slurmd, slurm-client and munge (Debian; no-op when present)
#   scripts/slurm.sh start     write the config, start munged, slurmctld and slurmd, wait until the node is idle
#   scripts/slurm.sh stop      cancel leftover jobs, SIGTERM each daemon by its recorded PID (SIGKILL after 5 s)
#   scripts/slurm.sh status    show which daemons run and `sinfo`; exit 0 when the cluster is ready
#
# Runs as root. Everything the daemons write (state, spool, logs, PIDs) lives in a scratch directory,
# ${SLURM_SCRATCH:-/tmp/git-exp-slurm}; the config is also copied to /etc/slurm/slurm.conf so that sbatch,
# squeue, scontrol and scancel find it from any process without SLURM_CONF. The machines this targets have no
# systemd and only emulated cgroups, so the daemons run in the foreground (-D / -F) in the background of this
# script, which records their PIDs, and no cgroup plugin is used. Facts behind the choices here:
# ../shared/notes/slurm-single-node.md (measured on the CI machines).
set -euo pipefail

SCRATCH="${SLURM_SCRATCH:-/tmp/git-exp-slurm}"
CONF="$SCRATCH/slurm.conf"
SYSTEM_CONF=/etc/slurm/slurm.conf
MUNGE_KEY=/etc/munge/munge.key
DAEMONS=(munged slurmctld slurmd) # start order; stop goes in reverse

say() { echo "slurm: $*"; }
die() { echo "slurm: error: $*" >&2; exit 1; }

# pid_of NAME: the recorded PID of daemon NAME if that process is still alive and really is NAME
# (guards against a recycled PID); prints nothing and fails otherwise.
pid_of() {
  local f="$SCRATCH/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  echo "$pid"
}

# node_state: the node's state as sinfo reports it (e.g. idle, mixed, down*), empty if slurmctld does not answer.
node_state() { timeout 5 sinfo -h -o %T 2>/dev/null | head -n1 || true; }

# munge_works: a munged answers on the default socket (ours or one started elsewhere).
munge_works() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }

# slurmd_started: when the registered slurmd started (epoch seconds), 0 if none has registered.
slurmd_started() {
  local t
  t=$(timeout 5 scontrol show node -o "$(hostname -s)" 2>/dev/null | grep -o 'SlurmdStartTime=[^ ]*' | cut -d= -f2) || true
  date -d "$t" +%s 2>/dev/null || echo 0
}

# ready: the daemons alive and the node usable.
ready() {
  munge_works || return 1
  pid_of slurmctld >/dev/null && pid_of slurmd >/dev/null || return 1
  case "$(node_state)" in idle | mixed | allocated | completing) return 0 ;; *) return 1 ;; esac
}

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts daemons)"; }

cmd_install() {
  if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
    command -v munged >/dev/null; then
    return 0 # already installed: stay quiet
  fi
  need_root
  command -v apt-get >/dev/null || die "Slurm is not installed and there is no apt-get to install it"
  local log
  log=$(mktemp)
  say "installing slurmctld slurmd slurm-client munge ..."
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      slurmctld slurmd slurm-client munge; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    die "apt-get could not install Slurm (output above)"
  fi
  rm -f "$log"
  command -v sbatch >/dev/null && command -v slurmctld >/dev/null || die "installed, but sbatch/slurmctld still missing"
  say "installed $(sbatch --version)"
}

# write_conf: the cluster's slurm.conf, one node named after this host, reached on 127.0.0.1.
write_conf() {
  local host cpus mem_kb mem_mb
  host=$(hostname -s)
  cpus=$(nproc)
  # SLURM_NODE_CPUS declares more job slots than cores (config_overrides makes slurmd accept it), so that tests
  # sleeping in jobs (e.g. waiting for a TIMEOUT) do not hold up the others on a 2-core CI machine.
  local overrides='# SlurmdParameters: none (the node declares the CPUs slurmd detects)'
  if [ -n "${SLURM_NODE_CPUS:-}" ] && [ "$SLURM_NODE_CPUS" != "$cpus" ]; then
    [[ "$SLURM_NODE_CPUS" =~ ^[1-9][0-9]*$ ]] || die "SLURM_NODE_CPUS must be a positive number"
    cpus=$SLURM_NODE_CPUS
    overrides='SlurmdParameters=config_overrides'
  fi
  mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  mem_mb=$((mem_kb / 1024 - 512)) # declaring more than slurmd sees makes the node invalid
  [ "$mem_mb" -ge 256 ] || mem_mb=256
  cat >"$CONF" <<EOF
# Written by git-exp scripts/slurm.sh: a single-node cluster for tests. Regenerated on every start.
ClusterName=gitexp
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MailProg=/bin/true
ReturnToService=2
$overrides

# No systemd and no real cgroups here: no cgroup plugins, no accounting.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$SCRATCH/log/jobcomp.log

# Scheduling: start jobs at once (the default batch_sched_delay holds each job ~3 s), one job per core.
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core

# Timing: finished jobs stay visible to scontrol for MinJobAge s; a job past its time limit (checked by
# slurmctld every 30 s, not configurable; limits are whole minutes) gets SIGTERM, then SIGKILL KillWait s later.
MinJobAge=300
KillWait=1
OverTimeLimit=0
InactiveLimit=0

# Everything the daemons write lives in the scratch directory.
StateSaveLocation=$SCRATCH/state
SlurmdSpoolDir=$SCRATCH/spool
SlurmctldPidFile=$SCRATCH/run/slurmctld.pid
SlurmdPidFile=$SCRATCH/run/slurmd.pid
SlurmctldLogFile=$SCRATCH/log/slurmctld.log
SlurmdLogFile=$SCRATCH/log/slurmd.log

NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # Clients (sbatch, squeue, ...) read /etc/slurm/slurm.conf: tests run with a sealed environment, so a copy
  # there is the only way they find this cluster. Keep a config we did not write rather than clobber it.
  mkdir -p "$(dirname "$SYSTEM_CONF")"
  if [ -f "$SYSTEM_CONF" ] && ! grep -q '^# Written by git-exp scripts/slurm.sh' "$SYSTEM_CONF" &&
    [ ! -e "$SYSTEM_CONF.before-git-exp" ]; then
    cp -p "$SYSTEM_CONF" "$SYSTEM_CONF.before-git-exp"
    say "kept the previous $SYSTEM_CONF as $SYSTEM_CONF.before-git-exp"
  fi
  cp "$CONF" "$SYSTEM_CONF"
  chmod 644 "$CONF" "$SYSTEM_CONF"
}

# launch NAME CMD...: start CMD in the background (it must exec NAME in this very process, never fork),
# detached from our stdin/stdout so callers capturing our output do not wait on the daemon; record its PID.
launch() {
  local name=$1
  shift
  "$@" </dev/null >"$SCRATCH/log/$name.out" 2>&1 &
  local pid=$! i
  disown "$pid" # not this script's job any more: no "Killed" notices from bash
  echo "$pid" >"$SCRATCH/$name.pid"
  # Until the child has exec'd the daemon, /proc/PID/comm is still this script's (pid_of checks the name).
  for ((i = 0; i < 100; i++)); do # up to 2 s
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && return 0
    kill -0 "$pid" 2>/dev/null || return 0 # died already: the caller sees it
    sleep 0.02
  done
}

# fail_start MSG: a daemon did not come up: show its log, stop what we started, fail.
fail_start() {
  local f
  for f in "${DAEMONS[@]}"; do # the daemons' output of this start (-D/-F copy their log there)
    f="$SCRATCH/log/$f.out"
    [ -s "$f" ] && { echo "--- $f (last lines)" >&2; tail -n 6 "$f" >&2; }
  done
  cmd_stop >&2 || true
  die "$1"
}

cmd_start() {
  need_root
  local t0=$SECONDS
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null ||
    die "Slurm is not installed (run: $0 install)"
  if ready; then
    say "already running (node $(hostname -s) $(node_state))"
    return 0
  fi
  # Half-up from an earlier run (a daemon died): start over cleanly.
  local d
  for d in "${DAEMONS[@]}"; do
    if pid_of "$d" >/dev/null; then
      say "some daemons from an earlier start are running but the cluster is not ready; restarting"
      cmd_stop
      break
    fi
  done

  mkdir -p "$SCRATCH"/{state,spool,run,log}
  chmod 755 "$SCRATCH"

  # munge: key (the package makes one), runtime directory, daemon as the munge user.
  if [ ! -s "$MUNGE_KEY" ]; then
    mkdir -p "$(dirname "$MUNGE_KEY")"
    dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
    say "created $MUNGE_KEY"
  fi
  chown munge:munge "$(dirname "$MUNGE_KEY")" "$MUNGE_KEY"
  chmod 700 "$(dirname "$MUNGE_KEY")"
  chmod 400 "$MUNGE_KEY"
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 755 /run/munge
  local i
  if munge_works; then
    # A munged we did not start (no live PID recorded) already serves the socket: use it, and leave it alone.
    say "using the munged already running (not started here, will not be stopped here)"
    rm -f "$SCRATCH/munged.pid"
  else
    rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock # stale, from a daemon that was killed
    # setpriv execs munged, so $! is the daemon's own PID.
    launch munged setpriv --reuid=munge --regid=munge --init-groups munged -F
    for ((i = 0; i < 50; i++)); do # up to 10 s
      munge_works && break
      pid_of munged >/dev/null || fail_start "munged exited at start"
      sleep 0.2
    done
    ((i < 50)) || fail_start "munged did not answer within 10 s"
  fi

  write_conf
  # The daemons get the config both by -f and SLURM_CONF (slurmd's helpers, e.g. slurmstepd, read SLURM_CONF).
  export SLURM_CONF="$CONF"
  local launched
  launched=$(date +%s)
  launch slurmctld slurmctld -D -i -f "$CONF"
  launch slurmd slurmd -D -f "$CONF"

  # Wait for the node to report idle (about 1 s here). slurmctld restores the node's last state from
  # StateSaveLocation, so "idle" alone may be stale: also wait until this slurmd has registered.
  local state= registered=
  for ((i = 0; i < 150; i++)); do # 0.2 s x 150 = 30 s
    for d in slurmctld slurmd; do
      pid_of "$d" >/dev/null || fail_start "$d exited at start"
    done
    state=$(node_state)
    if [ "$state" = idle ] && [ "$(slurmd_started)" -ge "$launched" ]; then registered=1; break; fi
    sleep 0.2
  done
  [ -n "$registered" ] || fail_start "the node was not idle within 30 s (sinfo: ${state:-no answer}; $(timeout 5 sinfo -h -o '%E' 2>/dev/null || true))"
  say "ready (node $(hostname -s) idle) in $((SECONDS - t0)) s; pids: $(for d in "${DAEMONS[@]}"; do printf '%s=%s ' "$d" "$(pid_of "$d" || echo -)"; done)"
}

cmd_stop() {
  # Jobs still in the cluster would leave slurmstepd and job processes behind once slurmd is gone: cancel them
  # first (while slurmctld still answers), and give them KillWait to end.
  local jobs i
  if pid_of slurmctld >/dev/null; then
    jobs=$(timeout 5 squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING -o %i 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      say "cancelling leftover jobs: $(echo $jobs)"
      timeout 5 scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 25; i++)); do # up to 5 s
        [ -z "$(timeout 5 squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING -o %i 2>/dev/null || true)" ] && break
        sleep 0.2
      done
    fi
  fi
  # SIGTERM each daemon we started, by its recorded PID (never by name).
  local d pid pids=() stopped=()
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    d=${DAEMONS[i]}
    if pid=$(pid_of "$d"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      stopped+=("$d")
    fi
  done
  for ((i = 0; i < 50; i++)); do # up to 5 s
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  # A daemon that ignores SIGTERM that long (slurmd does when slurmctld is gone) gets SIGKILL, by its PID.
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      say "PID $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) still runs 5 s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  local rc=0
  sleep 0.2
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && { echo "slurm: error: PID $pid did not exit" >&2; rc=1; }
  done
  for d in "${DAEMONS[@]}"; do rm -f "$SCRATCH/$d.pid"; done
  if [ ${#stopped[@]} -gt 0 ]; then say "stopped ${stopped[*]}"; else say "not running"; fi
  return "$rc"
}

cmd_status() {
  local d pid
  for d in "${DAEMONS[@]}"; do
    if pid=$(pid_of "$d"); then
      echo "$d: running (pid $pid)"
    elif [ "$d" = munged ] && munge_works; then
      echo "munged: running (not started by this script)"
    else
      echo "$d: not running"
    fi
  done
  # With slurmctld down, sinfo would retry for seconds before failing: ask it only when the controller runs.
  if pid_of slurmctld >/dev/null; then timeout 5 sinfo 2>&1 || true; fi
  if ready; then
    echo "slurm: ready"
  else
    echo "slurm: not ready"
    return 1
  fi
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac

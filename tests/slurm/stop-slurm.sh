#!/usr/bin/env bash
# Stop the single-node cluster started by start-slurm.sh: slurmd, slurmctld,
# and munged (only if start-slurm.sh started it). Idempotent.
set -uo pipefail

STATE="${SLURM_STATE_DIR:-/tmp/replab-slurm}"

log() { echo "stop-slurm: $*" >&2; }

# alive PID -> 0 while PID exists and is not a zombie
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# stop_pidfile PIDFILE NAME
stop_pidfile() {
  local f="$1" name="$2" pid
  [[ -s "$f" ]] || return 0
  pid="$(tr -dc '0-9' <"$f")"
  if [[ -n "$pid" ]] && alive "$pid" \
     && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$name" ]]; then
    log "stopping $name ($pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "$name ($pid) ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

stop_pidfile "$STATE/run/slurmd.pid" slurmd
stop_pidfile "$STATE/run/slurmctld.pid" slurmctld

if [[ -f "$STATE/run/munged.started-by-us" ]]; then
  stop_pidfile /run/munge/munged.pid munged
  rm -f "$STATE/run/munged.started-by-us"
fi
exit 0

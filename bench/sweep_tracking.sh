#!/usr/bin/env bash
# What an unreachable tracking server costs a sweep: `./replab bench sweep-tracking [options]`
# (builds first), or bash bench/sweep_tracking.sh after a Release build.
#
#   --trials N    trials per sweep (default 1000)
#   --parallel P  trials at once (default 1); the sweep's CPU count is set to P
#                 (DOTNET_PROCESSOR_COUNT), so the local executor gives each trial one thread
#   --steps S     training steps per trial (default 4: 64 synthetic images, batch 16, 1 epoch)
#   --blocks B    each arm as B sweeps of N/B trials, the arms alternating block by block, so
#                 that whatever else the machine does weighs on both alike (default 10)
#
# Runs the same local sweep of N tiny trials (conv-small autoencoder on synthetic 28x28
# images, seeds 0..N-1, no evaluation) twice, in fresh folders: with no server configured
# (MLFLOW_TRACKING_URI unset: the local store only), and with MLFLOW_TRACKING_URI pointing at
# a closed port on 127.0.0.1 (an unreachable server), in alternating blocks. Prints
#   sweep_tracking trials=N parallel=P no_server_s_per_trial=<s> unreachable_s_per_trial=<s> ratio=<unreachable/no server>
# (sweep wall time / N; goal: ratio under 1.1) and writes it to bench/results/sweep-tracking-<date>.txt.
# Both sweeps must finish every trial; the second must leave every trial in the local store.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

trials=1000 parallel=1 steps=4 blocks=10
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --blocks) blocks="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sweep_tracking.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for v in "$trials" "$parallel" "$steps" "$blocks"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "sweep_tracking.sh: '$v' is not a positive integer" >&2; exit 2; }
done

cli="$root/host/RepLab.Host/bin/Release/net10.0/replab.dll"
[ -f "$cli" ] || { echo "sweep_tracking.sh: $cli is missing: build first (./replab bench sweep-tracking does)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_WAIT_POLICY=passive

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

[ "$blocks" -le "$trials" ] || blocks="$trials"

# Block k's experiment: its share of the seeds 0..N-1.
experiment() {
  local k="$1" from to
  from=$((k * trials / blocks)); to=$(((k + 1) * trials / blocks - 1))
  printf '%s\n' "name: tracking-bench" "seed: 0" \
    "dataset: { plugin: synthetic, train-size: $((steps * 16)), test-size: 16 }" \
    "encoder: { plugin: conv-small, features: 8 }" "method: { plugin: autoencoder }" \
    "trainer: { epochs: 1, batch-size: 16, threads: 1 }" \
    "sweep:" "  name: tracking-bench" "  seeds: [$(seq -s ', ' "$from" "$to")]"
}

# A port nothing listens on: connections to it are refused.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

# One block's sweep in a fresh folder; prints its wall seconds. $1: label, $2: block, $3: MLFLOW_TRACKING_URI or empty.
sweep() {
  local dir="$tmp/$1/$2" start end expected stored
  mkdir -p "$dir"
  experiment "$2" >"$dir/exp.yaml"
  expected=$((($2 + 1) * trials / blocks - $2 * trials / blocks))
  start="$(date +%s.%N)"
  (
    cd "$dir"
    unset MLFLOW_TRACKING_URI REPLAB_LOCAL_STORE REPLAB_CLI
    [ -n "$3" ] && export MLFLOW_TRACKING_URI="$3"
    DOTNET_PROCESSOR_COUNT="$parallel" dotnet "$cli" sweep exp.yaml --parallel "$parallel" >"$dir/sweep.log" 2>&1
  ) || { echo "sweep_tracking.sh: the $1 sweep (block $2) failed; its log:" >&2; tail -20 "$dir/sweep.log" >&2; exit 1; }
  end="$(date +%s.%N)"
  stored="$(find "$dir/mlruns" -name meta.yaml -path '*/mlruns/*/*/meta.yaml' | wc -l)"
  [ "$stored" -gt "$expected" ] || { echo "sweep_tracking.sh: the $1 sweep (block $2) left $stored runs in its store, expected $expected and its parent" >&2; exit 1; }
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

echo "# sweep-tracking: $trials trials, $parallel at a time, $steps steps each, $blocks blocks an arm; unreachable server: http://127.0.0.1:$port (closed)" >&2
local_s=0 down_s=0
for k in $(seq 0 $((blocks - 1))); do
  a="$(sweep no-server "$k" "")"
  b="$(sweep unreachable "$k" "http://127.0.0.1:$port")"
  echo "#   block $k: no server ${a} s, unreachable ${b} s" >&2
  local_s="$(awk -v x="$local_s" -v y="$a" 'BEGIN { printf "%.3f", x + y }')"
  down_s="$(awk -v x="$down_s" -v y="$b" 'BEGIN { printf "%.3f", x + y }')"
done
echo "#   no server:   ${local_s} s" >&2
echo "#   unreachable: ${down_s} s" >&2
grep -h "could not upload\|was found down" "$tmp"/unreachable/*/runs/_sweeps/tracking-bench/logs/*.log 2>/dev/null \
  | sed -E 's/run [0-9a-f]{32}/run ID/; s/found down [0-9]+ s ago/found down N s ago/' | sort | uniq -c | sed 's/^/#   trial logs: /' >&2

line="$(awk -v n="$trials" -v p="$parallel" -v a="$local_s" -v b="$down_s" \
  'BEGIN { printf "sweep_tracking trials=%d parallel=%d no_server_s_per_trial=%.3f unreachable_s_per_trial=%.3f ratio=%.3f", n, p, a / n, b / n, b / a }')"
echo "$line"
mkdir -p "$root/bench/results"
out="$root/bench/results/sweep-tracking-$(date -u +%Y%m%d-%H%M%S).txt"
{ echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores"; echo "$line"; } >"$out"
echo "# written to ${out#"$root"/}" >&2

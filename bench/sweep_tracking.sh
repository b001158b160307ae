#!/usr/bin/env bash
# What an unreachable tracking server costs a sweep: `./replab bench sweep-tracking [options]`
# (builds first), or bash bench/sweep_tracking.sh after a Release build.
#
#   --trials N    trials per sweep (default 1000)
#   --parallel P  trials at once (default 1); the sweep's CPU count is set to P
#                 (DOTNET_PROCESSOR_COUNT), so the local executor gives each trial one thread
#   --steps S     training steps per trial (default 4: 64 synthetic images, batch 16, 1 epoch)
#
# Runs the same local sweep of N tiny trials (conv-small autoencoder on synthetic 28x28
# images, seeds 0..N-1, no evaluation) twice, each in a fresh folder: first with no server
# configured (MLFLOW_TRACKING_URI unset: the local store only), then with MLFLOW_TRACKING_URI
# pointing at a closed port on 127.0.0.1 (an unreachable server). Prints
#   sweep_tracking trials=N parallel=P no_server_s_per_trial=<s> unreachable_s_per_trial=<s> ratio=<unreachable/no server>
# (sweep wall time / N; goal: ratio under 1.1) and writes it to bench/results/sweep-tracking-<date>.txt.
# Both sweeps must finish every trial; the second must leave every trial in the local store.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

trials=1000 parallel=1 steps=4
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sweep_tracking.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for v in "$trials" "$parallel" "$steps"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "sweep_tracking.sh: '$v' is not a positive integer" >&2; exit 2; }
done

cli="$root/host/RepLab.Host/bin/Release/net10.0/replab.dll"
[ -f "$cli" ] || { echo "sweep_tracking.sh: $cli is missing: build first (./replab bench sweep-tracking does)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_WAIT_POLICY=passive

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

seeds="$(seq -s ', ' 0 $((trials - 1)))"
cat >"$tmp/exp.yaml" <<EOF
name: tracking-bench
seed: 0
dataset: { plugin: synthetic, train-size: $((steps * 16)), test-size: 16 }
encoder: { plugin: conv-small, features: 8 }
method: { plugin: autoencoder }
trainer: { epochs: 1, batch-size: 16, threads: 1 }
sweep:
  name: tracking-bench
  seeds: [$seeds]
EOF

# A port nothing listens on: connections to it are refused.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

# One sweep in a fresh folder; prints its wall seconds. $1: label, $2: MLFLOW_TRACKING_URI or empty.
sweep() {
  local dir="$tmp/$1" start end
  mkdir -p "$dir"
  cp "$tmp/exp.yaml" "$dir/"
  start="$(date +%s.%N)"
  (
    cd "$dir"
    unset MLFLOW_TRACKING_URI REPLAB_LOCAL_STORE REPLAB_CLI
    [ -n "$2" ] && export MLFLOW_TRACKING_URI="$2"
    DOTNET_PROCESSOR_COUNT="$parallel" dotnet "$cli" sweep exp.yaml --parallel "$parallel" >"$dir/sweep.log" 2>&1
  ) || { echo "sweep_tracking.sh: the $1 sweep failed; its log:" >&2; tail -20 "$dir/sweep.log" >&2; exit 1; }
  end="$(date +%s.%N)"
  local stored
  stored="$(find "$dir/mlruns" -name meta.yaml -path '*/mlruns/*/*/meta.yaml' | wc -l)"
  [ "$stored" -ge "$trials" ] || { echo "sweep_tracking.sh: the $1 sweep left $stored runs in its store, expected $trials and its parent" >&2; exit 1; }
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

echo "# sweep-tracking: $trials trials, $parallel at a time, $steps steps each; unreachable server: http://127.0.0.1:$port (closed)" >&2
local_s="$(sweep no-server "")"
echo "#   no server:   ${local_s} s" >&2
down_s="$(sweep unreachable "http://127.0.0.1:$port")"
echo "#   unreachable: ${down_s} s" >&2
grep -h "could not upload\|was found down" "$tmp"/unreachable/runs/_sweeps/tracking-bench/logs/*.log 2>/dev/null \
  | sed -E 's/run [0-9a-f]{32}/run ID/; s/found down [0-9]+ s ago/found down N s ago/' | sort | uniq -c | sed 's/^/#   trial logs: /' >&2

line="$(awk -v n="$trials" -v p="$parallel" -v a="$local_s" -v b="$down_s" \
  'BEGIN { printf "sweep_tracking trials=%d parallel=%d no_server_s_per_trial=%.3f unreachable_s_per_trial=%.3f ratio=%.3f", n, p, a / n, b / n, b / a }')"
echo "$line"
mkdir -p "$root/bench/results"
out="$root/bench/results/sweep-tracking-$(date -u +%Y%m%d-%H%M%S).txt"
{ echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores"; echo "$line"; } >"$out"
echo "# written to ${out#"$root"/}" >&2

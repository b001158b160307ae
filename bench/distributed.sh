#!/usr/bin/env bash
# What data parallelism costs on this machine: `./replab bench distributed [options]` (builds first),
# or bash bench/distributed.sh after a Release build.
#
#   --runs R       runs of each side, the sides alternating run by run (default 3)
#   --steps S      SimCLR training steps per run (default 40)
#   --sizes "..."  all-reduce buffer sizes in MB (10^6 bytes of float32; default "1 10 100")
#   --reps N       timed all-reduces per size and run, after 3 warm-up ones (default 20)
#
# 1. All-reduce throughput between two processes over Gloo on the loopback interface
#    (GLOO_SOCKET_IFNAME=lo): ours (dotnet RepLab.Bench.dll allreduce, bench/RepLab.Bench/AllReduce.cs)
#    against PyTorch 1.13's torch.distributed (/usr/bin/python3 bench/allreduce_pytorch.py), one thread
#    each. Both time rank 0's in-place sum after a barrier; per side and size, the median over the runs
#    of each run's median seconds gives the algorithm bandwidth, bytes / seconds.
# 2. SimCLR training steps per second of experiments/fashion-mnist/simclr.yaml (no evaluation, S steps,
#    trainer.threads=2): two processes of one thread each (trainer.distributed.processes: 2) against one
#    process of two threads; each run's rate is N / X of its "replab: trained N steps in X s" line.
# Prints
#   allreduce_mb=<n> ours_gbps=<median> pytorch_gbps=<median> ratio=<ours/pytorch>
#   simclr two_procs_steps_per_s=<median> one_proc_steps_per_s=<median> ratio=<two processes/one>
# and writes them to bench/results/distributed-<date>.txt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

runs=3 steps=40 sizes="1 10 100" reps=20
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "distributed.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for v in "$runs" "$steps" "$reps" $sizes; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "distributed.sh: '$v' is not a positive integer" >&2; exit 2; }
done
[ -n "${sizes// /}" ] || { echo "distributed.sh: --sizes names no size" >&2; exit 2; }

dll="$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll"
cli="$root/host/RepLab.Host/bin/Release/net10.0/replab.dll"
python=/usr/bin/python3
for f in "$dll" "$cli"; do
  [ -f "$f" ] || { echo "distributed.sh: $f is missing: build first (./replab bench distributed does)" >&2; exit 1; }
done
"$python" -c 'import torch.distributed as d; assert d.is_gloo_available()' 2>/dev/null ||
  { echo "distributed.sh: $python has no torch.distributed with Gloo: apt-get install python3-torch" >&2; exit 1; }

export OMP_WAIT_POLICY=passive GLOO_SOCKET_IFNAME=lo DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
unset MLFLOW_TRACKING_URI REPLAB_LOCAL_STORE REPLAB_CLI

tmp="$(mktemp -d)"
rank1=""
cleanup() { [ -n "$rank1" ] && kill "$rank1" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# One run of one all-reduce side (ours|pytorch): rank 1 in the background, rank 0 here; appends each
# size's median seconds to $tmp/<side>-<mb>.
allreduce_side() { # side run
  local side="$1" port out cmd
  case "$side" in
    ours) cmd=(dotnet "$dll" allreduce) ;;
    pytorch) cmd=("$python" "$root/bench/allreduce_pytorch.py") ;;
  esac
  port="$(free_port)"
  local args=(--world 2 --port "$port" --sizes "$sizes" --reps "$reps" --threads 1)
  "${cmd[@]}" --rank 1 "${args[@]}" >"$tmp/rank1.log" 2>&1 &
  rank1=$!
  if ! out="$("${cmd[@]}" --rank 0 "${args[@]}" 2>"$tmp/rank0.log")"; then
    echo "distributed.sh: $side all-reduce (run $2) failed; rank 0:" >&2; cat "$tmp/rank0.log" >&2
    kill "$rank1" 2>/dev/null || true; wait "$rank1" || true; rank1=""
    echo "rank 1:" >&2; cat "$tmp/rank1.log" >&2; exit 1
  fi
  wait "$rank1" || { echo "distributed.sh: $side all-reduce (run $2): rank 1 failed:" >&2; cat "$tmp/rank1.log" >&2; exit 1; }
  rank1=""
  for mb in $sizes; do
    local s
    s="$(sed -nE "s/^allreduce_mb=$mb median_s=([0-9.]+) .*/\1/p" <<<"$out")"
    [ -n "$s" ] || { echo "distributed.sh: $side all-reduce (run $2) printed no time for $mb MB:" >&2; echo "$out" >&2; exit 1; }
    echo "$s" >>"$tmp/$side-$mb"
    printf '  run %d %-7s %4d MB  %s s\n' "$2" "$side" "$mb" "$s" >&2
  done
}

# One SimCLR run of one side (two: two processes of one thread; one: one process of two threads), in a
# fresh folder that is its working directory too (the experiment's local store, mlruns, lands there);
# appends its steps per second to $tmp/simclr-<side>.
simclr_side() { # side run
  local dir="$tmp/simclr-$1-$2" extra=() line n x
  [ "$1" = two ] && extra=('+trainer.distributed={processes: 2}')
  mkdir -p "$dir"
  (cd "$dir" && dotnet "$cli" run "$root/experiments/fashion-mnist/simclr.yaml" "+trainer.max-steps=$steps" '~evaluation' \
    trainer.threads=2 "${extra[@]}" --runs-dir "$dir/runs") >"$dir/log" 2>&1 ||
    { echo "distributed.sh: SimCLR with $1 process(es) (run $2) failed; its log:" >&2; tail -20 "$dir/log" >&2; exit 1; }
  line="$(grep -oE 'trained [0-9]+ steps in [0-9.]+ s' "$dir/log" | tail -1)"
  [ -n "$line" ] || { echo "distributed.sh: SimCLR with $1 process(es) (run $2) printed no 'trained N steps' line:" >&2; tail -20 "$dir/log" >&2; exit 1; }
  read -r _ n _ _ x _ <<<"$line"
  awk -v x="$x" 'BEGIN { exit !(x > 0) }' ||
    { echo "distributed.sh: SimCLR with $1 process(es) (run $2): '$line' is too short to time: more --steps" >&2; exit 1; }
  awk -v n="$n" -v x="$x" 'BEGIN { printf "%.4f\n", n / x }' >>"$tmp/simclr-$1"
  printf '  run %d %-3s process(es)  %s\n' "$2" "$1" "$line" >&2
}

cpu="$(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
header="# distributed benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ): runs=$runs, all-reduce sizes=\"$sizes\" MB x $reps reps, SimCLR $steps steps, cpu: ${cpu:-?} ($(nproc) cores)"
echo "$header" >&2

echo "# all-reduce, two processes over Gloo (loopback), 3 warm-up + $reps timed calls per size" >&2
for r in $(seq 1 "$runs"); do
  for side in ours pytorch; do allreduce_side "$side" "$r"; done
done
echo "# SimCLR (experiments/fashion-mnist/simclr.yaml), $steps steps, 2 threads in all" >&2
for r in $(seq 1 "$runs"); do
  for side in two one; do simclr_side "$side" "$r"; done
done

lines=()
for mb in $sizes; do
  o="$(median <"$tmp/ours-$mb")" p="$(median <"$tmp/pytorch-$mb")"
  lines+=("$(awk -v mb="$mb" -v o="$o" -v p="$p" \
    'BEGIN { printf "allreduce_mb=%d ours_gbps=%.3f pytorch_gbps=%.3f ratio=%.2f", mb, mb / o / 1e3, mb / p / 1e3, p / o }')")
done
two="$(median <"$tmp/simclr-two")" one="$(median <"$tmp/simclr-one")"
lines+=("$(awk -v t="$two" -v o="$one" 'BEGIN { printf "simclr two_procs_steps_per_s=%.3f one_proc_steps_per_s=%.3f ratio=%.2f", t, o, t / o }')")

mkdir -p "$root/bench/results"
out="$root/bench/results/distributed-$(date -u +%Y%m%d-%H%M%S).txt"
printf '%s\n' "${lines[@]}"
{ echo "$header"; printf '%s\n' "${lines[@]}"; } >"$out"
echo "# written to ${out#"$root"/}" >&2

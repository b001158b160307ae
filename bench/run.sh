#!/usr/bin/env bash
# Benchmarks: ./replab bench engine|norm|pipeline|tracking|sweep-tracking|distributed [options] (builds first and sets up
# the engine benchmark's peers), or bash bench/run.sh ... after a Release build.
#   pipeline [--runs R] [--threads N] [--pipeline simclr|byol] [--size S] [--batch B]:
#            two augmented views, ours vs torchvision (see below)
#   tracking [--steps S] [--events E] [--samples N] [--interval SECONDS]: the trackers' cost per quickstart training step,
#            and the system-metrics sampler's per sample and as a share of a step at the interval (default 10 s);
#            written to bench/results/tracking-<date>.txt
#   sweep-tracking [--trials N] [--parallel P] [--steps S] [--blocks B]: a local sweep of N tiny trials (default 1000),
#            once without a tracking server and once with an unreachable one (a closed port);
#            seconds per trial of each and their ratio (see bench/sweep_tracking.sh)
#   distributed [--runs R] [--steps S] [--sizes "1 10 100"] [--reps N]: Gloo all-reduce GB/s between two processes,
#            ours vs PyTorch 1.13, and SimCLR steps/s of two 1-thread processes vs one 2-thread one (see bench/distributed.sh)
#
#   engine [--threads N] [--runs R] [--steps S] [--warmup W] [--batch B] [--models "dcgan resnet18 simclr"]
#          [--methods "autoencoder ... inpainting"|none] [--peers "pytorch1.13 pytorch2.6 torchsharp"]
#          [--no-adjoint] [--pytorch-malloc-tuned] [--pytorch-threads-tuned] [--ours-malloc-default]
#
# Times training steps in our engine (bench/RepLab.Bench) and the same steps in each peer, the
# sides alternating within each of R runs: three engine models (--models) and every method's step
# as its plugin takes it (--methods, bench/RepLab.Bench/MethodSteps.cs; the PyTorch side is
# bench/method_steps*.py). Peers: pytorch1.13 is Debian 12's python3-torch (/usr/bin/python3, the
# same libtorch as ours), pytorch2.6 the same script in the Debian 13 reference root
# (tools/reference-root.sh; ./replab root build makes it), torchsharp TorchSharp-cpu 0.107 on
# upstream libtorch 2.10 (engine models only; bash bench/torchsharp.sh setup restores it). Prints per step
#   model|method=<name> ours_steps_per_s=<median> <peer>_steps_per_s=<median> ratio_<peer>=<ours/peer> ...
# and writes them to bench/results/engine-<date>.txt, with a Markdown table beside it (.md).
#
# Defaults: threads = nproc, batch 128 (simclr 256), 3 runs; per run, untimed warm-up steps then timed steps:
# dcgan 3 + 20, resnet18 2 + 3, simclr 3 + 20 at batch 256, each method 3 + 10 at its shipped
# Fashion-MNIST experiment's batch (--warmup/--steps/--batch set every step).
# --no-adjoint: our transposed convs use libtorch's kernel. Our engine tunes glibc malloc at
# load (keeps freed memory, see engine/RepLab.Torch/Native.cs); --pytorch-malloc-tuned gives
# PyTorch the same settings through glibc's environment variables, --ours-malloc-default turns
# ours off (REPLAB_MALLOC_TUNING=0): both isolate what the allocator is worth. Likewise our
# engine bounds OpenMP's spin (GOMP_SPINCOUNT=50000) and puts idle OpenBLAS threads to sleep
# (OPENBLAS_THREAD_TIMEOUT=4); --pytorch-threads-tuned gives PyTorch the same. REPLAB_FUSED_NORM=0
# in the environment turns our fused batch norm kernels off.
#
#   norm [--threads N] [--batch B] [--reps R]: the SimCLR step's batch norm + activation layers,
#        our fused kernels vs libtorch's operators vs PyTorch 1.13 (medians in ms, ratio PyTorch/fused),
#        and PyTorch 2.6 and TorchSharp's libtorch 2.10 beside them where those are set up.
#
# TorchSharp (TorchSharp-cpu 0.107 on upstream libtorch 2.10) as a third engine peer: once, with the
# network, `bash bench/torchsharp.sh setup` (restores, builds bench/RepLab.Bench.TorchSharp, patches its
# native library for Debian 12); then `bash bench/torchsharp.sh run --model dcgan --threads N ...`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

usage() { sed -n '2,46p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

what="${1:-}"
if [ "$what" = "tracking" ]; then
  # What metrics.jsonl and the local MLflow store add to a quickstart training step.
  shift
  mkdir -p "$root/bench/results"
  dotnet "$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll" tracking "$@" | tee "$root/bench/results/tracking-$(date -u +%Y%m%d-%H%M%S).txt"
  exit "${PIPESTATUS[0]}"
fi
if [ "$what" = "sweep-tracking" ]; then
  shift
  exec bash "$root/bench/sweep_tracking.sh" "$@"
fi
if [ "$what" = "distributed" ]; then
  shift
  exec bash "$root/bench/distributed.sh" "$@"
fi
if [ "$what" = "norm" ]; then
  # Batch norm + activation layers of the SimCLR step (conv-small's blocks, the head's hidden layer),
  # forward and backward: our fused kernels and libtorch's operators from our engine
  # (bench/RepLab.Bench/Norm.cs), then PyTorch's (bench/engine_pytorch.py --norm); medians in ms.
  shift
  threads="$(nproc)" batch=512 reps=20
  while [ $# -gt 0 ]; do
    case "$1" in
      --threads) threads="$2"; shift 2 ;;
      --batch) batch="$2"; shift 2 ;;
      --reps) reps="$2"; shift 2 ;;
      *) echo "run.sh norm: unknown option '$1'" >&2; exit 2 ;;
    esac
  done
  export OMP_WAIT_POLICY=passive DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  common=(--threads "$threads" --batch "$batch" --reps "$reps")
  ours="$(dotnet "$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll" norm "${common[@]}")"
  theirs="$(/usr/bin/python3 "$root/bench/engine_pytorch.py" --norm "${common[@]}")"
  # PyTorch 2.6 (the reference root) and TorchSharp's upstream libtorch 2.10, where they are set up.
  if [ -x "$(bash "$root/tools/reference-root.sh" path)/usr/bin/python3" ] && [ "$(id -u)" -eq 0 ]; then
    theirs26="$(bash "$root/tools/reference-root.sh" run env OMP_WAIT_POLICY=passive python3 "$root/bench/engine_pytorch.py" --norm "${common[@]}" | sed 's/pytorch_ms=/pytorch2.6_ms=/')"
  fi
  ts="$(bash "$root/bench/torchsharp.sh" run --norm "${common[@]}" 2>/dev/null || true)"
  mkdir -p "$root/bench/results"
  out="$root/bench/results/norm-$(date -u +%Y%m%d-%H%M%S).txt"
  while read -r line; do
    key="${line%% *}"
    p="$(grep -F "$key " <<<"$theirs" | sed -nE 's/.*pytorch_ms=([0-9.]+).*/\1/p')"
    f="$(sed -nE 's/.*fused_ms=([0-9.]+).*/\1/p' <<<"$line")"
    more=""
    for peer in "pytorch2.6:${theirs26:-}" "torchsharp:$ts"; do
      v="$(grep -F "$key " <<<"${peer#*:}" | sed -nE 's/.*_ms=([0-9.]+).*/\1/p')"
      [ -n "$v" ] && more+=" ${peer%%:*}_ms=$v"
    done
    echo "$line pytorch_ms=$p$more ratio=$(awk -v f="$f" -v p="$p" 'BEGIN { printf "%.2f", p / f }')"
  done <<<"$ours" | tee "$out"
  exit 0
fi
if [ "$what" = "pipeline" ]; then
  # Two views of RGB images: our batched augmentations (bench/RepLab.Bench/Pipeline.cs) vs
  # torchvision per image in a DataLoader with 2 workers (bench/pipeline_torchvision.py),
  # alternately, 3 runs each; medians of images/s. Default: SimCLR's views of 32x32 images at
  # batch 512 (the issue's benchmark); --pipeline byol --size 96 --batch 256: BYOL's on STL-10's size.
  shift
  runs=3 threads="$(nproc)" pipeline=simclr size=32 batch=512
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) runs="$2"; shift 2 ;;
      --threads) threads="$2"; shift 2 ;;
      --pipeline) pipeline="$2"; shift 2 ;;
      --size) size="$2"; shift 2 ;;
      --batch) batch="$2"; shift 2 ;;
      *) echo "run.sh pipeline: unknown option '$1'" >&2; exit 2 ;;
    esac
  done
  dll="$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll"
  export OMP_WAIT_POLICY=passive DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  common=(--pipeline "$pipeline" --size "$size" --batch "$batch")
  ours=() tv=()
  for r in $(seq 1 "$runs"); do
    o="$(dotnet "$dll" pipeline --threads "$threads" "${common[@]}" | sed -nE 's/^pipeline=[a-z]+ img_per_s=([0-9.]+).*/\1/p')"
    t="$(/usr/bin/python3 "$root/bench/pipeline_torchvision.py" --workers 2 "${common[@]}" | sed -nE 's/^pipeline=[a-z]+ img_per_s=([0-9.]+).*/\1/p')"
    printf '  run %d ours %s img/s, torchvision %s img/s\n' "$r" "$o" "$t" >&2
    ours+=("$o") tv+=("$t")
  done
  med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  o="$(med "${ours[@]}")" t="$(med "${tv[@]}")"
  label="$pipeline"; [ "$size" = 32 ] && [ "$batch" = 512 ] || label="$pipeline-${size}px-b$batch"
  line="pipeline=$label ours_img_per_s=$o torchvision_img_per_s=$t ratio=$(awk -v o="$o" -v t="$t" 'BEGIN { printf "%.2f", o / t }')"
  echo "$line"
  mkdir -p "$root/bench/results"
  echo "$line" >"$root/bench/results/pipeline-$(date -u +%Y%m%d-%H%M%S).txt"
  exit 0
fi
[ "$what" = "engine" ] || { usage >&2; exit 2; }
shift

threads="$(nproc)" runs=3 steps="" warmup="" batch="" extra=() notes=""
models="dcgan resnet18 simclr"
methods="autoencoder denoising-autoencoder vae dcgan acgan layerwise-autoencoder simclr moco-v2 byol rotation jigsaw inpainting"
peers="pytorch1.13 pytorch2.6 torchsharp"
pytorch_env=() ours_env=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --peers) peers="$2"; shift 2 ;;
    --no-adjoint) extra+=(--no-adjoint); notes+=" no-adjoint"; shift ;;
    --pytorch-malloc-tuned) pytorch_env+=(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647); notes+=" pytorch-malloc-tuned"; shift ;;
    --pytorch-threads-tuned) pytorch_env+=(GOMP_SPINCOUNT=50000 OPENBLAS_THREAD_TIMEOUT=4); notes+=" pytorch-threads-tuned"; shift ;;
    --ours-malloc-default) ours_env=(REPLAB_MALLOC_TUNING=0); notes+=" ours-malloc-default"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ "$models" = none ] && models=""
[ "$methods" = none ] && methods=""

ours_dll="$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll"
python=/usr/bin/python3
[ -f "$ours_dll" ] || { echo "run.sh: $ours_dll is missing: build first (./replab bench engine does)" >&2; exit 1; }
for peer in $peers; do
  case "$peer" in
    pytorch1.13) "$python" -c 'import torch' 2>/dev/null || { echo "run.sh: $python has no torch: apt-get install python3-torch" >&2; exit 1; } ;;
    pytorch2.6) [ -x "$(bash "$root/tools/reference-root.sh" path)/usr/bin/python3" ] ||
      { echo "run.sh: no reference root for PyTorch 2.6: ./replab root build makes it (or --peers without pytorch2.6)" >&2; exit 1; }
      [ "$(id -u)" -eq 0 ] || { echo "run.sh: PyTorch 2.6 runs in the reference root, which needs root: run with sudo (or --peers without pytorch2.6)" >&2; exit 2; } ;;
    torchsharp) bash "$root/bench/torchsharp.sh" run --version >/dev/null ||
      { echo "run.sh: (or --peers without torchsharp)" >&2; exit 1; } ;;
    *) echo "run.sh: unknown peer '$peer' (pytorch1.13, pytorch2.6, torchsharp)" >&2; exit 2 ;;
  esac
done

# Every side: the same OpenMP wait policy (our engine and TorchSharp's bench set passive themselves
# when unset) and the same thread count through set_num_threads.
export OMP_WAIT_POLICY=passive
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Default steps per model (a method's step: 3 warm-up + 10 timed, at its experiment's batch).
steps_for() { if [ -n "$steps" ]; then echo "$steps"; elif [ "$1" = model:resnet18 ]; then echo 3; elif [ "${1%%:*}" = method ]; then echo 10; else echo 20; fi; }
warmup_for() { if [ -n "$warmup" ]; then echo "$warmup"; elif [ "$1" = model:resnet18 ]; then echo 2; else echo 3; fi; }
batch_args() { # models: 128, simclr 256; methods: their experiment's batch unless --batch
  if [ -n "$batch" ]; then echo "--batch $batch"
  elif [ "$1" = model:simclr ]; then echo "--batch 256"
  elif [ "${1%%:*}" = model ]; then echo "--batch 128"; fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One timed run of one item (model:<name> or method:<name>) on one side.
run_side() { # side item run
  local side="$1" item="$2" kind="${2%%:*}" name="${2#*:}" out
  # shellcheck disable=SC2046 # batch_args is empty or two words
  local args=(--"$kind" "$name" --threads "$threads" $(batch_args "$item") --steps "$(steps_for "$item")" --warmup "$(warmup_for "$item")")
  case "$side" in
    ours) out="$(env "${ours_env[@]}" dotnet "$ours_dll" "${args[@]}" "${extra[@]}")" ;;
    pytorch1.13) out="$(env "${pytorch_env[@]}" "$python" "$root/bench/engine_pytorch.py" "${args[@]}")" ;;
    # The same script on the reference root's python3-torch 2.6 (tools/reference-root.sh).
    pytorch2.6) out="$(bash "$root/tools/reference-root.sh" run env OMP_WAIT_POLICY="$OMP_WAIT_POLICY" "${pytorch_env[@]}" python3 "$root/bench/engine_pytorch.py" "${args[@]}")" ;;
    # Another reference side: PyTorch's environment options apply to it too (bench/torchsharp.sh setup first).
    torchsharp) out="$(env "${pytorch_env[@]}" bash "$root/bench/torchsharp.sh" run "${args[@]}")" ;;
  esac
  local rate cpu
  sed -nE "s/^$kind=$name .*first_loss=([-0-9.naif]+).*/\1/p" <<<"$out" >"$tmp/$side-$item-loss"
  rate="$(sed -nE "s/^$kind=$name steps_per_s=([0-9.]+).*/\1/p" <<<"$out")"
  cpu="$(sed -nE "s/^$kind=$name .*cpu_s_per_step=([0-9.]+).*/\1/p" <<<"$out")"
  [ -n "$rate" ] || { echo "run.sh: $side $item printed no rate:" >&2; echo "$out" >&2; exit 1; }
  echo "$rate" >>"$tmp/$side-$item"
  echo "$cpu" >>"$tmp/$side-$item-cpu"
  printf '  run %d %-11s %-28s %7s steps/s  %6s CPU s/step\n' "$3" "$side" "$item" "$rate" "$cpu" >&2
}

# The peers of an item: TorchSharp runs the engine models only (no method plugins in TorchSharp).
sides_for() { echo ours; for p in $peers; do [ "$p" = torchsharp ] && [ "${1%%:*}" = method ] && continue; echo "$p"; done; }

items=()
for m in $models; do items+=("model:$m"); done
for m in $methods; do items+=("method:$m"); done

version="$(dotnet "$ours_dll" --version)"
cpu="$(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
header="# engine benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ): ours on libtorch $version, peers: $peers, threads=$threads, runs=$runs, cpu: ${cpu:-?} ($(nproc) cores)${notes:+, options:$notes}"
echo "$header"

# Alternating sides within each run, so that drift in the machine's speed weighs on all of them.
for item in "${items[@]}"; do
  echo "# $item: $(warmup_for "$item") warm-up + $(steps_for "$item") timed steps per run" >&2
  for r in $(seq 1 "$runs"); do
    for side in $(sides_for "$item"); do run_side "$side" "$item" "$r"; done
  done
done

# Medians per side and ratios ours / peer (above 1: ours is faster), as lines and as a Markdown table.
mkdir -p "$root/bench/results"
stamp="$(date -u +%Y%m%d-%H%M%S)"
result="$root/bench/results/engine-$stamp.txt" table="$root/bench/results/engine-$stamp.md"
{
  printf '| %s | ours |' "step (steps/s, median of $runs)"; for p in $peers; do printf ' %s |' "$p"; done
  for p in $peers; do printf ' ours / %s |' "$p"; done; echo
  printf '|---|---|'; for p in $peers $peers; do printf -- '---|'; done; echo
} >"$tmp/table"
{
  echo "$header"
  for item in "${items[@]}"; do
    o="$(median <"$tmp/ours-$item")"
    label="${item#*:}"; [ "${item%%:*}" = model ] && label+=" (engine model)"
    line="${item%%:*}=${item#*:} ours_steps_per_s=$o" row="| $label | $o |" ratios=""
    for p in $peers; do
      if [ -f "$tmp/$p-$item" ]; then
        v="$(median <"$tmp/$p-$item")" q="$(awk -v o="$o" -v p="$v" 'BEGIN { printf "%.2f", o / p }')"
        line+=" ${p}_steps_per_s=$v ratio_$p=$q" row+=" $v |" ratios+=" $q |"
      else
        row+=" |" ratios+=" |"
      fi
    done
    echo "$line"
    echo "$row$ratios" >>"$tmp/table"
  done
} >"$tmp/result"
tail -n +2 "$tmp/result"
# CPU seconds per step (all threads): a steadier cross-check when other work shares the machine.
for item in "${items[@]}"; do
  line="# $item median CPU s/step:"
  for side in $(sides_for "$item"); do line+=" $side $(median <"$tmp/$side-$item-cpu")"; done
  echo "$line" >&2
done
# Every side starts from the same seeded weights and draws: a first loss that differs from ours means
# the two steps are not the same computation, and their times should not be compared.
for item in "${items[@]}"; do
  for side in $(sides_for "$item"); do
    [ "$side" = ours ] && continue
    awk -v a="$(cat "$tmp/ours-$item-loss")" -v b="$(cat "$tmp/$side-$item-loss")" \
      'BEGIN { d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); exit !(d > 1e-3 * (m > 1 ? m : 1)) }' &&
      echo "# warning: $item: first loss $(cat "$tmp/ours-$item-loss") (ours) but $(cat "$tmp/$side-$item-loss") ($side)" >&2
  done
done
cp "$tmp/result" "$result"
cp "$tmp/table" "$table"
echo "# written to ${result#"$root"/} and ${table#"$root"/}" >&2

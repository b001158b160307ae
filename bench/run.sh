#!/usr/bin/env bash
# Benchmarks: ./replab bench engine|pipeline [options] (builds first), or bash bench/run.sh ... after a build.
#   pipeline [--runs R] [--threads N] [--pipeline simclr|byol] [--size S] [--batch B]:
#            two augmented views, ours vs torchvision (see below)
#   tracking [--steps S] [--events E]: the trackers' cost per quickstart training step
#   sweep-tracking [--trials N] [--parallel P] [--steps S] [--blocks B]: a local sweep of N tiny trials (default 1000),
#            once without a tracking server and once with an unreachable one (a closed port);
#            seconds per trial of each and their ratio (see bench/sweep_tracking.sh)
# after a Release build.
#
#   engine [--threads N] [--runs R] [--steps S] [--warmup W] [--batch B] [--models "dcgan resnet18 simclr"]
#          [--no-adjoint] [--pytorch-malloc-tuned] [--ours-malloc-default]
#
# Runs our engine (bench/RepLab.Bench) and PyTorch (bench/engine_pytorch.py, Debian's
# python3-torch on the same libtorch) alternately, R runs each, and prints per model
#   model=<name> ours_steps_per_s=<median> pytorch_steps_per_s=<median> ratio=<ours/pytorch>
# The lines also go to bench/results/engine-<date>.txt.
#
# Defaults: threads = nproc, batch 128 (simclr 256), 3 runs; per run, untimed warm-up steps then timed steps:
# dcgan 3 + 20, resnet18 2 + 3, simclr 3 + 20 at batch 256 (--warmup/--steps/--batch set every model).
# --no-adjoint: our transposed convs use libtorch's kernel. Our engine tunes glibc malloc at
# load (keeps freed memory, see engine/RepLab.Torch/Native.cs); --pytorch-malloc-tuned gives
# PyTorch the same settings through glibc's environment variables, --ours-malloc-default turns
# ours off (REPLAB_MALLOC_TUNING=0): both isolate what the allocator is worth. Likewise our
# engine bounds OpenMP's spin (GOMP_SPINCOUNT=50000) and puts idle OpenBLAS threads to sleep
# (OPENBLAS_THREAD_TIMEOUT=4); --pytorch-threads-tuned gives PyTorch the same. REPLAB_FUSED_NORM=0
# in the environment turns our fused batch norm kernels off.
#
#   norm [--threads N] [--batch B] [--reps R]: the SimCLR step's batch norm + activation layers,
#        our fused kernels vs libtorch's operators vs PyTorch (medians in ms, ratio PyTorch/fused).
#
# TorchSharp (TorchSharp-cpu 0.107 on upstream libtorch 2.10) as a third engine peer: once, with the
# network, `bash bench/torchsharp.sh setup` (restores, builds bench/RepLab.Bench.TorchSharp, patches its
# native library for Debian 12); then `bash bench/torchsharp.sh run --model dcgan --threads N ...`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

usage() { sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

what="${1:-}"
if [ "$what" = "tracking" ]; then
  # What metrics.jsonl and the local MLflow store add to a quickstart training step.
  shift
  exec dotnet "$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll" tracking "$@"
fi
if [ "$what" = "sweep-tracking" ]; then
  shift
  exec bash "$root/bench/sweep_tracking.sh" "$@"
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
  ours="$(dotnet "$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll" norm --threads "$threads" --batch "$batch" --reps "$reps")"
  theirs="$(/usr/bin/python3 "$root/bench/engine_pytorch.py" --norm --threads "$threads" --batch "$batch" --reps "$reps")"
  mkdir -p "$root/bench/results"
  out="$root/bench/results/norm-$(date -u +%Y%m%d-%H%M%S).txt"
  while read -r line; do
    key="${line%% *}"
    p="$(grep -F "$key " <<<"$theirs" | sed -nE 's/.*pytorch_ms=([0-9.]+).*/\1/p')"
    f="$(sed -nE 's/.*fused_ms=([0-9.]+).*/\1/p' <<<"$line")"
    echo "$line pytorch_ms=$p ratio=$(awk -v f="$f" -v p="$p" 'BEGIN { printf "%.2f", p / f }')"
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

threads="$(nproc)" runs=3 steps="" warmup="" batch="" models="dcgan resnet18 simclr" extra=() notes=""
pytorch_env=() ours_env=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --no-adjoint) extra+=(--no-adjoint); notes+=" no-adjoint"; shift ;;
    --pytorch-malloc-tuned) pytorch_env+=(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647); notes+=" pytorch-malloc-tuned"; shift ;;
    --pytorch-threads-tuned) pytorch_env+=(GOMP_SPINCOUNT=50000 OPENBLAS_THREAD_TIMEOUT=4); notes+=" pytorch-threads-tuned"; shift ;;
    --ours-malloc-default) ours_env=(REPLAB_MALLOC_TUNING=0); notes+=" ours-malloc-default"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

ours_dll="$root/bench/RepLab.Bench/bin/Release/net10.0/RepLab.Bench.dll"
python=/usr/bin/python3
[ -f "$ours_dll" ] || { echo "run.sh: $ours_dll is missing: build first (./replab bench engine does)" >&2; exit 1; }
"$python" -c 'import torch' 2>/dev/null || { echo "run.sh: $python has no torch: apt-get install python3-torch" >&2; exit 1; }

# Both sides: the same OpenMP wait policy (our engine sets passive itself when unset) and
# the same thread count through torch.set_num_threads.
export OMP_WAIT_POLICY=passive
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Default steps per model: a few minutes in all on 2 cores.
steps_for() { if [ -n "$steps" ]; then echo "$steps"; elif [ "$1" = resnet18 ]; then echo 3; else echo 20; fi; }
batch_for() { if [ -n "$batch" ]; then echo "$batch"; elif [ "$1" = simclr ]; then echo 256; else echo 128; fi; }
warmup_for() { if [ -n "$warmup" ]; then echo "$warmup"; elif [ "$1" = resnet18 ]; then echo 2; else echo 3; fi; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run_side() { # side model run
  local side="$1" model="$2" n out
  n="$(steps_for "$model")"
  if [ "$side" = ours ]; then
    out="$(env "${ours_env[@]}" dotnet "$ours_dll" --model "$model" --threads "$threads" --batch "$(batch_for "$model")" --steps "$n" --warmup "$(warmup_for "$model")" "${extra[@]}")"
  elif [ "$side" = torchsharp ]; then
    # Another reference side: PyTorch's environment options apply to it too (bench/torchsharp.sh setup first).
    out="$(env "${pytorch_env[@]}" bash "$root/bench/torchsharp.sh" run --model "$model" --threads "$threads" --batch "$(batch_for "$model")" --steps "$n" --warmup "$(warmup_for "$model")")"
  else
    out="$(env "${pytorch_env[@]}" "$python" "$root/bench/engine_pytorch.py" --model "$model" --threads "$threads" --batch "$(batch_for "$model")" --steps "$n" --warmup "$(warmup_for "$model")")"
  fi
  local rate cpu
  rate="$(sed -nE "s/^model=$model steps_per_s=([0-9.]+).*/\1/p" <<<"$out")"
  cpu="$(sed -nE "s/^model=$model .*cpu_s_per_step=([0-9.]+).*/\1/p" <<<"$out")"
  [ -n "$rate" ] || { echo "run.sh: $side $model printed no rate:" >&2; echo "$out" >&2; exit 1; }
  echo "$rate" >>"$tmp/$side-$model"
  echo "$cpu" >>"$tmp/$side-$model-cpu"
  printf '  run %d %-7s %-8s %7s steps/s  %6s CPU s/step\n' "$3" "$side" "$model" "$rate" "$cpu" >&2
}

version="$(dotnet "$ours_dll" --version)"
cpu="$(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
header="# engine benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ): libtorch $version (python torch $("$python" -c 'import torch; print(torch.__version__)')), threads=$threads, batch=${batch:-per model}, runs=$runs, cpu: ${cpu:-?} ($(nproc) cores)${notes:+, options:$notes}"
echo "$header"

for model in $models; do
  echo "# $model: $(warmup_for "$model") warm-up + $(steps_for "$model") timed steps per run" >&2
  for r in $(seq 1 "$runs"); do
    run_side ours "$model" "$r"
    run_side pytorch "$model" "$r"
  done
done

mkdir -p "$root/bench/results"
result="$root/bench/results/engine-$(date -u +%Y%m%d-%H%M%S).txt"
{
  echo "$header"
  for model in $models; do
    o="$(median <"$tmp/ours-$model")"
    p="$(median <"$tmp/pytorch-$model")"
    printf 'model=%s ours_steps_per_s=%s pytorch_steps_per_s=%s ratio=%s\n' "$model" "$o" "$p" \
      "$(awk -v o="$o" -v p="$p" 'BEGIN { printf "%.3f", o / p }')"
  done
} >"$tmp/result"
tail -n +2 "$tmp/result"
# CPU seconds per step (all threads): a steadier cross-check when other work shares the machine.
for model in $models; do
  echo "# $model median CPU s/step: ours $(median <"$tmp/ours-$model-cpu") pytorch $(median <"$tmp/pytorch-$model-cpu")" >&2
done
cp "$tmp/result" "$result"
echo "# written to ${result#"$root"/}" >&2

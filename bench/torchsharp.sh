#!/usr/bin/env bash
# TorchSharp as a third peer of the engine benchmark (bench/RepLab.Bench.TorchSharp, not in Framework.sln).
#
#   bash bench/torchsharp.sh setup     restore (TorchSharp-cpu 0.107.0 with upstream libtorch 2.10: about
#                                      300 MB of packages, 1.4 GB unpacked in the NuGet cache), build in
#                                      Release, and patch the build's copy of libLibTorchSharp.so so that
#                                      Debian 12's libstdc++ loads it (bench/weaken_glibcxx.py). Needs the
#                                      network the first time; idempotent.
#   bash bench/torchsharp.sh run --model dcgan|resnet18|simclr [--threads N] [--batch B] [--steps S] [--warmup W]
#                                      the benchmark, no network, no build: one line per model,
#                                      model=<name> steps_per_s=<v> cpu_s_per_step=<v> first_loss=<v>
#   bash bench/torchsharp.sh run --version     the libtorch version
#   bash bench/torchsharp.sh run --norm [--threads N] [--batch B] [--reps R]
#                                      the SimCLR step's batch norm + activation layers (bench/run.sh norm)
#
# `run` is `dotnet $dll ...` (dll below) after checking that setup was done; it sets
# OMP_WAIT_POLICY=passive when unset, as our engine does and as bench/run.sh exports for every side.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proj="$root/bench/RepLab.Bench.TorchSharp"
out="$proj/bin/Release/net10.0"
dll="$out/RepLab.Bench.TorchSharp.dll"
# A build without a runtime identifier keeps the Linux native files under runtimes/linux-x64/native.
native="$out/runtimes/linux-x64/native/libLibTorchSharp.so"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

case "${1:-}" in
  setup)
    dotnet restore "$proj/RepLab.Bench.TorchSharp.csproj" -v quiet
    dotnet build "$proj/RepLab.Bench.TorchSharp.csproj" -c Release --no-restore -v quiet -nologo -clp:"ErrorsOnly;NoSummary"
    [ -f "$native" ] || { echo "torchsharp.sh: the build has no $native" >&2; exit 1; }
    # Only the build output's copy is patched, never the NuGet cache's (the patcher also writes a new
    # file and renames it over the old, so a hard link into the cache would keep the original).
    python3 "$root/bench/weaken_glibcxx.py" "$native"
    readelf -V "$native" | grep -F "Name: GLIBCXX_3.4.32" || true
    echo "torchsharp.sh: ready; libtorch $(dotnet "$dll" --version)"
    ;;
  run)
    shift
    if [ ! -f "$dll" ] || [ ! -f "$native" ] || ! python3 "$root/bench/weaken_glibcxx.py" --check "$native" >/dev/null; then
      echo "torchsharp.sh: the patched TorchSharp build is missing: run 'bash bench/torchsharp.sh setup' first (restores TorchSharp-cpu, builds, patches libLibTorchSharp.so)" >&2
      exit 1
    fi
    export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
    exec dotnet "$dll" "$@"
    ;;
  *)
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

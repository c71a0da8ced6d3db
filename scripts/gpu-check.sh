#!/usr/bin/env bash
# make gpu-check: everything that needs a GPU, in one run (< 8 min on one GPU machine):
#   1. build the tests and the GPU benchmark with the CUDA flavor of ONNX Runtime (GPU=1);
#   2. the CUDA tests (DeviceTests: parity CPU vs CUDA <= 1e-4 on the shipped fixtures at batch
#      1/64/1024, Auto picks CUDA, hot swap on the device); a CUDA test skipped on a GPU machine is a failure;
#   3. the CUDA inference benchmark: shipped models, CPU vs CUDA side by side, batch 1..4096
#      (tuned CUDA provider options: exhaustive cuDNN search, max workspace, arena kSameAsRequested),
#      with a column for the encoder through IO binding on pinned host buffers (does that path pay?);
#   4. scripts/gpu-check-train.sh when present (the training side's CUDA checks), given 150 s;
# then one summary. Without a GPU (no nvidia-smi, or no device listed) every step prints a SKIP line
# and the script exits 0; GPU_CHECK_FORCE=1 runs steps 1-2 anyway (the CUDA tests then skip, which is
# how `make test GPU=1` behaves on a CPU-only machine). The GPU machine needs the NuGet packages
# restored beforehand if it has no network (dotnet restore -p:AeOnnxGpu=true; NUGET_PACKAGES).
set -uo pipefail
cd "$(dirname "$0")/.."
CONFIGURATION="${CONFIGURATION:-Release}"
OUT=artifacts/gpu-check
mkdir -p "$OUT"
SUMMARY=()
status=0
started=$SECONDS
say() { echo "== gpu-check: $*"; }
record() { SUMMARY+=("$1 $2: $3"); [[ $1 == FAIL ]] && status=1; return 0; }

gpu=""
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu=$(nvidia-smi -L 2>/dev/null | head -1)
fi
if [[ -z "$gpu" ]]; then
  reason="no NVIDIA GPU here (nvidia-smi missing or lists no device)"
else
  say "GPU: $gpu"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/   /'
fi

run_tests=0
[[ -n "$gpu" || "${GPU_CHECK_FORCE:-0}" == 1 ]] && run_tests=1

# 1-2. CUDA build and CUDA tests.
if (( run_tests )); then
  say "building tests/AeOnnx.Tests with the CUDA flavor (-p:AeOnnxGpu=true)"
  if timeout 150 dotnet build tests/AeOnnx.Tests -c "$CONFIGURATION" -p:AeOnnxGpu=true --nologo -v q >"$OUT/build.log" 2>&1; then
    record PASS build "tests/AeOnnx.Tests with Microsoft.ML.OnnxRuntime.Gpu"
    say "CUDA tests (DeviceTests)"
    timeout 120 dotnet test tests/AeOnnx.Tests -c "$CONFIGURATION" -p:AeOnnxGpu=true --no-build \
      --filter "FullyQualifiedName~DeviceTests" --logger "console;verbosity=normal" >"$OUT/device-tests.log" 2>&1
    rc=$?
    count() { local v; v=$(sed -n "s/^ *$1: *\([0-9]*\).*/\1/p" "$OUT/device-tests.log" | tail -1); echo "${v:-0}"; }
    skipped=$(count Skipped)
    line="$(count Passed) passed, $(count Failed) failed, ${skipped:-0} skipped of $(count 'Total tests')"
    if (( rc != 0 )); then
      record FAIL cuda-tests "${line:-no summary line} (see $OUT/device-tests.log)"
    elif [[ -n "$gpu" && "${skipped:-0}" != 0 ]]; then
      reason_line=$(grep -m1 -A1 "\[SKIP\]" "$OUT/device-tests.log" | tail -1 | sed 's/^ *//')
      record FAIL cuda-tests "$line; CUDA tests skipped on a GPU machine: $reason_line"
    elif [[ -z "$gpu" ]]; then
      record SKIP cuda-tests "$line (CPU-only machine: CUDA tests skipped with their reason, as make test GPU=1 does)"
    else
      record PASS cuda-tests "$line"
    fi
    grep -E "max \|cpu - cuda\|" "$OUT/device-tests.log" | sed 's/^ */   /' | head -12
  else
    tail -20 "$OUT/build.log"
    record FAIL build "dotnet build -p:AeOnnxGpu=true failed (see $OUT/build.log)"
  fi
else
  record SKIP build "$reason"
  record SKIP cuda-tests "$reason"
fi

# 3. CUDA inference benchmark.
if [[ -n "$gpu" ]]; then
  say "CUDA inference benchmark (CPU vs CUDA, batch 1..4096)"
  if timeout 45 dotnet build bench/AeOnnx.GpuBench -c "$CONFIGURATION" -p:AeOnnxGpu=true --nologo -v q >"$OUT/bench-build.log" 2>&1 \
     && timeout 120 dotnet "bench/AeOnnx.GpuBench/bin/$CONFIGURATION/net10.0/AeOnnx.GpuBench.dll" --out "$OUT/cuda-bench.md" | tee "$OUT/cuda-bench.log"; then
    if grep -q "^SKIP" "$OUT/cuda-bench.log"; then
      record FAIL cuda-benchmark "$(grep '^SKIP' "$OUT/cuda-bench.log") (on a GPU machine)"
    else
      record PASS cuda-benchmark "table in $OUT/cuda-bench.md"
    fi
  else
    record FAIL cuda-benchmark "build or run failed (see $OUT/bench-build.log, $OUT/cuda-bench.log)"
  fi
else
  record SKIP cuda-benchmark "$reason"
fi

# 4. Training on CUDA (owned by the training side).
if [[ -x scripts/gpu-check-train.sh ]]; then
  say "training checks (scripts/gpu-check-train.sh)"
  if timeout 150 scripts/gpu-check-train.sh 2>&1 | tee "$OUT/train.log"; then
    if [[ -z "$gpu" ]]; then record SKIP training "scripts/gpu-check-train.sh: $(grep -m1 SKIP "$OUT/train.log" || echo "ran without a GPU")"; else record PASS training "scripts/gpu-check-train.sh"; fi
  else
    record FAIL training "scripts/gpu-check-train.sh failed (see $OUT/train.log)"
  fi
else
  record SKIP training "scripts/gpu-check-train.sh not present"
fi

echo
echo "gpu-check summary ($((SECONDS - started)) s${gpu:+, $gpu}):"
for line in "${SUMMARY[@]}"; do
  echo "  $line"
done
if [[ -f "$OUT/cuda-bench.md" && -n "$gpu" ]]; then
  echo
  cat "$OUT/cuda-bench.md"
fi
exit $status

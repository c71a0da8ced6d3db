#!/usr/bin/env bash
# make bench: builds the benchmark programs, then bench/run.py measures and writes bench/RESULTS.md, then
# bench/anomaly.sh adds the one-class anomaly benchmark (make anomaly-bench) as its own section.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(scripts/find-python.sh)}
dotnet build bench/AeOnnx.Bench/AeOnnx.Bench.csproj -c Release --nologo -v q
dotnet build bench/AeOnnx.ML.Bench/AeOnnx.ML.Bench.csproj -c Release --nologo -v q
dotnet build bench/AeOnnx.Serve.Bench/AeOnnx.Serve.Bench.csproj -c Release --nologo -v q
"$PYTHON" bench/run.py "$@"
# the one-class anomaly benchmark (make anomaly-bench), in its own section of bench/RESULTS.md
if [[ " $* " == *" --quick "* ]]; then bench/anomaly.sh --quick; else bench/anomaly.sh; fi

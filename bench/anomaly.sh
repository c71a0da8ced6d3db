#!/usr/bin/env bash
# make anomaly-bench: builds the ML.NET baseline program, then bench/anomaly.py trains, scores and writes
# the anomaly section of bench/RESULTS.md and README.md (--quick: bench/out/anomaly-quick/RESULTS.md only).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(scripts/find-python.sh)}
dotnet build bench/AeOnnx.Anomaly.Bench/AeOnnx.Anomaly.Bench.csproj -c Release --nologo -v q
exec "$PYTHON" bench/anomaly.py "$@"

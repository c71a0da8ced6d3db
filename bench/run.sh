#!/usr/bin/env bash
# make bench: builds the benchmark programs, then bench/run.py measures and writes bench/RESULTS.md, then
# bench/serve.py (make serve-bench: the service against a minimal ASP.NET Core endpoint) and bench/anomaly.sh
# (make anomaly-bench: one-class anomaly detection) add their own sections.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(scripts/find-python.sh)}
dotnet build bench/AeOnnx.Bench/AeOnnx.Bench.csproj -c Release --nologo -v q
dotnet build bench/AeOnnx.ML.Bench/AeOnnx.ML.Bench.csproj -c Release --nologo -v q
dotnet build bench/AeOnnx.Serve.Bench/AeOnnx.Serve.Bench.csproj -c Release --nologo -v q
dotnet build bench/AeOnnx.Serve.Baseline/AeOnnx.Serve.Baseline.csproj -c Release --nologo -v q
"$PYTHON" bench/run.py "$@"
# the service against a minimal ASP.NET Core endpoint, load generator in its own process (make serve-bench)
if [[ " $* " == *" --quick "* ]]; then "$PYTHON" bench/serve.py --quick; else "$PYTHON" bench/serve.py; fi
# the one-class anomaly benchmark (make anomaly-bench), in its own section of bench/RESULTS.md
if [[ " $* " == *" --quick "* ]]; then bench/anomaly.sh --quick; else bench/anomaly.sh; fi

#!/usr/bin/env bash
# make bench: builds the benchmark program, then bench/run.py measures and writes bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(scripts/find-python.sh)}
dotnet build bench/AeOnnx.Bench/AeOnnx.Bench.csproj -c Release --nologo -v q
dotnet build bench/AeOnnx.ML.Bench/AeOnnx.ML.Bench.csproj -c Release --nologo -v q
dotnet build bench/AeOnnx.Serve.Bench/AeOnnx.Serve.Bench.csproj -c Release --nologo -v q
exec "$PYTHON" bench/run.py "$@"

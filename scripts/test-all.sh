#!/usr/bin/env bash
# Runs every suite (.NET, then pytest) and ends with one line "N passed, N failed[, N skipped]".
# A suite that cannot start (build error, collection error) counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(scripts/find-python.sh)}
CONFIGURATION=${CONFIGURATION:-Release}
log=$(mktemp -d)
passed=0; failed=0; skipped=0

dotnet test AeOnnx.sln -c "$CONFIGURATION" --no-build 2>&1 | tee "$log/dotnet.txt"
rc=${PIPESTATUS[0]}
lines=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log/dotnet.txt" || true)
if [ -z "$lines" ]; then
  echo "dotnet test printed no summary (exit $rc)"; failed=$((failed + 1))
else
  while read -r l; do
    f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$l"); p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$l"); s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$l")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done <<<"$lines"
  [ "$rc" -ne 0 ] && [ "$(grep -cE 'Failed: +[1-9]' <<<"$lines")" -eq 0 ] && { echo "dotnet test exited $rc"; failed=$((failed + 1)); }
fi

# Style. C#: the build itself refuses code off the .editorconfig (EnforceCodeStyleInBuild: naming, var,
# braces, layout are errors), so nothing more runs here. Python: flake8 and black's layout, one check
# in the summary line; `make format` fixes what black can.
py_style=(training-scripts tests/training tests/deploy bench scripts)
if "$PYTHON" -m flake8 "${py_style[@]}" && "$PYTHON" -m black -q --check --config training-scripts/pyproject.toml "${py_style[@]}"; then
  passed=$((passed + 1))
else
  echo "flake8/black --check: the files above break the Python style; run make format, then fix what black cannot"; failed=$((failed + 1))
fi

# tests/training (the Python side) and tests/deploy (manifests, images, Slurm and multi-node torchrun):
# one pytest each, since each folder has its own pytest.ini
for suite in tests/training tests/deploy; do
  "$PYTHON" -m pytest -q -p no:cacheprovider "$suite" 2>&1 | tee "$log/pytest.txt"
  rc=${PIPESTATUS[0]}
  last=$(grep -E '^=*.*[0-9]+ (passed|failed|error|skipped)' "$log/pytest.txt" | tail -1 || true)
  if [ -z "$last" ]; then
    echo "pytest $suite printed no summary (exit $rc)"; failed=$((failed + 1))
  else
    for kind in passed failed errors error skipped; do
      n=$(grep -oE "[0-9]+ $kind\b" <<<"$last" | grep -oE '^[0-9]+' || true)
      n=${n:-0}
      case $kind in passed) passed=$((passed + n));; failed|errors|error) failed=$((failed + n));; skipped) skipped=$((skipped + n));; esac
    done
  fi
done
rm -rf "$log"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]

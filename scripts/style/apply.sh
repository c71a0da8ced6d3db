#!/usr/bin/env bash
# Issue 22, item 7: style enforced. Run once, by whoever lands it, on a main with no branch in flight
# (the reformat touches most files; every open branch would conflict), then commit in two steps:
#   scripts/style/apply.sh --config   # 1. the rules: build, CI and Python linter config (small diff)
#   git commit -am "Style enforced: ..."
#   scripts/style/apply.sh --format   # 2. the tree reformatted to them (large, mechanical diff)
#   make test && git commit -am "Pure formatting: dotnet format + black; no code change"
# With no argument it does both. Afterwards others rebase and run `make format` on their branches.
#
# What it sets:
#   - Directory.Build.props: EnforceCodeStyleInBuild, so the .editorconfig rules marked :warning
#     (var, braces, no this., file-scoped namespaces, _camel private fields, ...) fail the build
#     (TreatWarningsAsErrors is already on).
#   - make test (scripts/test-all.sh): `dotnet format --verify-no-changes` and flake8 count as one
#     check each in the "N passed, N failed" line, so CI refuses unformatted code.
#   - Python: .flake8 (black-compatible, 120 columns) and black's line length in pyproject.toml;
#     python3-flake8 and black come from Debian (scripts/setup-python.sh); `make format` runs both
#     formatters.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-all}
case $mode in --config|--format|all) ;; *) echo "usage: $0 [--config|--format]" >&2; exit 2;; esac
PYTHON=${PYTHON:-$(scripts/find-python.sh)}
py_paths=(training-scripts tests/training tests/deploy bench scripts)

config() {
  # Build: enforce the .editorconfig's code style on every build.
  if ! grep -q '<EnforceCodeStyleInBuild>' Directory.Build.props; then
    sed -i 's|    <AnalysisLevel>latest</AnalysisLevel>|    <AnalysisLevel>latest</AnalysisLevel>\n    <!-- The .editorconfig rules marked :warning are build errors (TreatWarningsAsErrors). -->\n    <EnforceCodeStyleInBuild>true</EnforceCodeStyleInBuild>|' Directory.Build.props
  fi

  # Python: the linter's config, black-compatible (E203/W503 are black's own layout).
  cat > .flake8 <<'EOF'
# flake8 for the Python side (make test runs it; make format runs black first). black decides the
# layout at 120 columns; E203 and W503 are the two pycodestyle checks that disagree with it, and
# E501 is left to black (long strings and URLs it keeps whole).
[flake8]
max-line-length = 120
extend-ignore = E203, W503, E501
exclude = .git,__pycache__,bin,obj,artifacts,.venv,runs,out
EOF
  if ! grep -q '^\[tool.black\]' training-scripts/pyproject.toml; then
    printf '\n[tool.black]\nline-length = 120\n' >> training-scripts/pyproject.toml
  fi
  grep -q 'python3-flake8' scripts/setup-python.sh ||
    sed -i 's| python3-jsonschema | python3-jsonschema python3-flake8 black |' scripts/setup-python.sh

  # make format: both languages.
  if ! grep -q 'black --config' Makefile; then
    sed -i 's|^\tdotnet format AeOnnx.sln$|\tdotnet format AeOnnx.sln\n\tblack -q --config training-scripts/pyproject.toml '"${py_paths[*]}"'|' Makefile
    sed -i 's|make format      dotnet format|make format      dotnet format + black (C# and Python to the style make test checks)|' Makefile
  fi

  # make test: the two style checks count in the summary line like a suite each.
  if ! grep -q 'verify-no-changes' scripts/test-all.sh; then
    "$PYTHON" - "${py_paths[*]}" <<'EOF'
import sys
path = "scripts/test-all.sh"
text = open(path).read()
anchor = "# tests/training (the Python side)"
block = '''# Style: the tree as `make format` leaves it (C#: the .editorconfig; Python: black's layout, flake8).
# Each counts as one check in the summary line.
if dotnet format AeOnnx.sln --verify-no-changes --no-restore; then
  passed=$((passed + 1))
else
  echo "dotnet format --verify-no-changes: the files above differ from the .editorconfig style; run make format"; failed=$((failed + 1))
fi
if "$PYTHON" -m flake8 PATHS && black -q --check --config training-scripts/pyproject.toml PATHS; then
  passed=$((passed + 1))
else
  echo "flake8/black --check: the files above break the Python style; run make format, then fix what black cannot"; failed=$((failed + 1))
fi

'''.replace("PATHS", sys.argv[1])
assert anchor in text
open(path, "w").write(text.replace(anchor, block + anchor, 1))
EOF
  fi
}

format() {
  dotnet restore AeOnnx.sln -v q >/dev/null
  # whitespace, code style and analyzer fixes at warning severity, as the build now enforces them
  dotnet format AeOnnx.sln --no-restore --severity warn
  if command -v black >/dev/null; then
    black -q --config training-scripts/pyproject.toml "${py_paths[@]}"
  else
    echo "black not installed (make setup-python): Python left as it is" >&2
  fi
}

[ "$mode" = --format ] || config
[ "$mode" = --config ] || format
echo "changed files:"; git status --short | wc -l

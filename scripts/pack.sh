#!/usr/bin/env bash
# make pack: the NuGet packages AeOnnx and AeOnnx.ML and the .NET tool AeOnnx.Cli (command aeonnx) into artifacts/packages,
# then a check as a user would do it: install the tool from that folder into a temporary tool path and
# run `aeonnx info` from a temporary folder; check the library packages carry XML docs, README, license
# and the managed ONNX Runtime dependency (and no native flavor).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGURATION="${CONFIGURATION:-Release}"
OUT=artifacts/packages
props=(-c "$CONFIGURATION" -p:RepositoryCommit="$(git rev-parse HEAD 2>/dev/null || echo unknown)")
url="${REPOSITORY_URL:-$(git remote get-url origin 2>/dev/null || true)}"
[[ -n "$url" ]] && props+=(-p:RepositoryUrl="$url")
[[ "${GPU:-0}" =~ ^(1|true|yes)$ ]] && props+=(-p:AeOnnxGpu=true)

rm -rf "$OUT"
mkdir -p "$OUT"
for project in src/AeOnnx/AeOnnx.csproj src/AeOnnx.ML/AeOnnx.ML.csproj src/AeOnnx.Cli/AeOnnx.Cli.csproj; do
  dotnet pack "$project" "${props[@]}" -o "$OUT" --nologo -v quiet
done
ls -l "$OUT"

fail() { echo "pack check FAILED: $*" >&2; exit 1; }
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
for id in AeOnnx AeOnnx.ML; do
  nupkg="$OUT/$id.$version.nupkg"
  [[ -f "$nupkg" ]] || fail "$nupkg missing"
  listing=$(unzip -l "$nupkg")
  grep -q "lib/net10.0/$id.xml" <<<"$listing" || fail "$id: no XML docs"
  grep -q " README.md" <<<"$listing" || fail "$id: no README.md"
  grep -q " LICENSE" <<<"$listing" || fail "$id: no LICENSE"
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "$id: no MIT license expression"
  grep -q '<repository type="git"' <<<"$nuspec" || fail "$id: no repository metadata"
  grep -q 'Microsoft.ML.OnnxRuntime (CPU) or Microsoft.ML.OnnxRuntime.Gpu' <<<"$nuspec" || fail "$id: no note on the native flavor"
  if [[ $id == AeOnnx ]]; then
    grep -q 'id="Microsoft.ML.OnnxRuntime.Managed"' <<<"$nuspec" || fail "AeOnnx: no Microsoft.ML.OnnxRuntime.Managed dependency"
    grep -q 'id="Microsoft.Extensions.Logging.Abstractions"' <<<"$nuspec" || fail "AeOnnx: no logging abstractions dependency"
  fi
  grep -qE 'id="Microsoft.ML.OnnxRuntime(.Gpu)?"' <<<"$nuspec" && fail "$id: depends on a native ONNX Runtime flavor (the application picks one)"
  echo "ok: $id $version (XML docs, README, MIT, repository, managed ORT only)"
done

tools=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$tools" "$work"' EXIT
dotnet tool install --tool-path "$tools" --add-source "$OUT" AeOnnx.Cli --version "$version" >/dev/null
(cd "$work" && env -u AEONNX_MODEL "$tools/aeonnx" info) | tee "$work/info.txt"
grep -q "^model *fashion-mnist-ae" "$work/info.txt" || fail "aeonnx info from a temporary folder did not show the carried model"
grep -q "CPUExecutionProvider" "$work/info.txt" || fail "aeonnx info did not run on the CPU provider"
echo "ok: aeonnx tool installs from $OUT and runs 'aeonnx info' from a temporary folder"

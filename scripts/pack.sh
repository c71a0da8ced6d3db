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
# The project's public address (Directory.Build.props has a placeholder): make pack REPOSITORY_URL=https://...
[[ -n "${REPOSITORY_URL:-}" ]] && props+=(-p:AeOnnxRepositoryUrl="$REPOSITORY_URL")
tool=AeOnnx.Cli
if [[ "${GPU:-0}" =~ ^(1|true|yes)$ ]]; then props+=(-p:AeOnnxGpu=true); tool=AeOnnx.Cli.Gpu; fi

rm -rf "$OUT"
mkdir -p "$OUT"
for project in src/AeOnnx/AeOnnx.csproj src/AeOnnx.ML/AeOnnx.ML.csproj src/AeOnnx.Cli/AeOnnx.Cli.csproj; do
  dotnet pack "$project" "${props[@]}" -o "$OUT" --nologo -v quiet
done
ls -l "$OUT"
# one tool package per platform plus the pointer package: what a user on linux-x64 downloads is the pointer and AeOnnx.Cli.linux-x64
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }

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
  grep -qE '<repository type="git" url="https?://' <<<"$nuspec" || fail "$id: the repository URL is not a web address"
  grep -q '<icon>icon.png</icon>' <<<"$nuspec" && grep -q " icon.png" <<<"$listing" || fail "$id: no icon"
  # public surface only: the compiler's XML also documents internal types, which must be left out
  docs=$(unzip -p "$nupkg" "lib/net10.0/$id.xml")
  internal=$([[ $id == AeOnnx ]] && echo "T:AeOnnx.Runtime.CudaProviderProbe" || echo "T:AeOnnx.ML.Internal.")
  grep -q "name=\"$internal" <<<"$docs" && fail "$id: the XML docs document internal members ($internal)"
  public=$([[ $id == AeOnnx ]] && echo "T:AeOnnx.Autoencoder\"" || echo "T:AeOnnx.ML.AeOnnxCatalog\"")
  grep -q "name=\"$public" <<<"$docs" || fail "$id: the XML docs lost a public type (${public%\"})"
  grep -q 'Microsoft.ML.OnnxRuntime (CPU) or Microsoft.ML.OnnxRuntime.Gpu' <<<"$nuspec" || fail "$id: no note on the native flavor"
  if [[ $id == AeOnnx ]]; then
    grep -q 'id="Microsoft.ML.OnnxRuntime.Managed"' <<<"$nuspec" || fail "AeOnnx: no Microsoft.ML.OnnxRuntime.Managed dependency"
    grep -q 'id="Microsoft.Extensions.Logging.Abstractions"' <<<"$nuspec" || fail "AeOnnx: no logging abstractions dependency"
  fi
  grep -qE 'id="Microsoft.ML.OnnxRuntime(.Gpu)?"' <<<"$nuspec" && fail "$id: depends on a native ONNX Runtime flavor (the application picks one)"
  echo "ok: $id $version (XML docs, README, MIT, repository, managed ORT only)"
done

pointer="$OUT/$tool.$version.nupkg"
[[ -f "$pointer" ]] || fail "$pointer missing"
rids=$(unzip -p "$pointer" tools/any/any/DotnetToolSettings.xml | grep -o 'RuntimeIdentifier="[a-z0-9-]*"' | cut -d'"' -f2)
[[ -n "$rids" ]] || fail "$tool: the pointer package names no platform packages"
for rid in $rids; do
  rpkg="$OUT/$tool.$rid.$version.nupkg"
  [[ -f "$rpkg" ]] || fail "$rpkg missing (the pointer package names it)"
  listing=$(unzip -l "$rpkg")
  grep -q "tools/net10.0/$rid/models/fashion-mnist-ae/encoder.onnx" <<<"$listing" || fail "$tool.$rid: the shipped model is missing"
  [[ $rid == win-* ]] || ! grep -q "onnxruntime.dll" <<<"$listing" || fail "$tool.$rid: carries Windows ONNX Runtime DLLs"
  echo "ok: $tool.$rid $(mib "$rpkg") MiB"
done
echo "ok: $tool (pointer) $(mib "$pointer") MiB"
linux="$OUT/$tool.linux-x64.$version.nupkg"
if [[ $tool == AeOnnx.Cli ]]; then
  # the issue's budget: what a linux-x64 user downloads, the pointer plus the linux-x64 package, <= 40 MB
  total=$(( $(stat -c %s "$pointer") + $(stat -c %s "$linux") ))
  (( total <= 40 * 1000 * 1000 )) || fail "linux-x64 download is $total bytes, over 40 MB"
  echo "ok: linux-x64 download $total bytes (pointer + $tool.linux-x64)"
fi

tools=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$tools" "$work"' EXIT
dotnet tool install --tool-path "$tools" --add-source "$OUT" "$tool" --version "$version" >/dev/null
(cd "$work" && env -u AEONNX_MODEL "$tools/aeonnx" info) | tee "$work/info.txt"
grep -q "^model *fashion-mnist-ae" "$work/info.txt" || fail "aeonnx info from a temporary folder did not show the carried model"
[[ $tool == AeOnnx.Cli.Gpu ]] || grep -q "CPUExecutionProvider" "$work/info.txt" || fail "aeonnx info did not run on the CPU provider"
echo "ok: aeonnx tool installs from $OUT and runs 'aeonnx info' from a temporary folder"

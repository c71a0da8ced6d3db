#!/usr/bin/env bash
# make image-check: what deploy/Dockerfile puts on top of its base image, built and run here without a
# container engine (none runs on these machines). It publishes exactly what the Dockerfile publishes
# (linux-x64, the linux-x64-container profile: self-contained, framework-only trimming), lays out the
# layers the Dockerfile copies (/app, /usr/local/bin/busybox, the models under /opt/aeonnx/models, read from
# the Dockerfile's COPY lines), measures them uncompressed and gzip-compressed (a registry stores layers as
# gzip'd tars), adds the base image's size, and then runs the published program: the service's routes
# through the image's own HEALTHCHECK command, and `encode` compared byte for byte with bin/aeonnx.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "image check FAILED: $*" >&2; exit 1; }
root="$work/rootfs"

# 1. the publish, in its own artifacts folder so that it never mixes with make build's outputs
publish=$(grep -o 'dotnet publish [^&]*linux-x64-container' deploy/Dockerfile) || fail "deploy/Dockerfile has no linux-x64-container publish"
echo "publishing: $publish"
dotnet publish src/AeOnnx.Cli/AeOnnx.Cli.csproj -c Release -r linux-x64 -p:PublishProfile=linux-x64-container \
  --artifacts-path "$work/artifacts" -o "$root/app" --nologo -v quiet >"$work/publish.log" 2>&1 || { tail -30 "$work/publish.log"; fail "publish"; }

# 2. the other layers, as the Dockerfile copies them
busybox=$(command -v busybox) || fail "busybox not installed (apt-get install busybox-static)"
install -D -m 0755 "$busybox" "$root/usr/local/bin/busybox"
while read -r line; do
  read -ra words <<<"${line#COPY }"
  dest="$root${words[-1]}"
  mkdir -p "$dest"
  for src in "${words[@]:0:${#words[@]}-1}"; do cp "$src" "$dest"; done
done < <(grep '^COPY models/' deploy/Dockerfile)
[[ -f "$root/opt/aeonnx/models/fashion-mnist-ae/encoder.onnx" ]] || fail "the model layer is missing fashion-mnist-ae"

# 3. sizes: each layer uncompressed (bytes in its tar) and compressed (gzip -6, Docker's default level)
MB() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
total_raw=0; total_gz=0
printf '%-36s %12s %12s\n' layer "MB (raw)" "MB (gzip)"
for layer in app usr/local/bin/busybox opt/aeonnx/models; do
  raw=$(tar -C "$root" -cf - "$layer" | wc -c)
  gz=$(tar -C "$root" -cf - "$layer" | gzip -6 | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-36s %12s %12s\n' "/$layer" "$(MB "$raw")" "$(MB "$gz")"
done
printf '%-36s %12s %12s\n' "added by deploy/Dockerfile" "$(MB "$total_raw")" "$(MB "$total_gz")"
echo "largest files in /app:"
(cd "$root/app" && du -b -- * | sort -rn | head -6 | awk '{ printf "  %-44s %6.1f MB\n", $2, $1 / 1e6 }')
# The base image, mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled: dotnet-docker's
# documentation/sample-image-size-report.md (November 2025) gives 21.86 MB compressed for that base PLUS a
# self-contained trimmed ASP.NET Core app, so the base alone is under 21.86 MB compressed. Uncompressed, its
# six chisel slices (src/runtime-deps/10.0/noble-chiseled/amd64/Dockerfile: libc6_libs, libgcc-s1_libs,
# libssl3t64_libs, libstdc++6_libs, ca-certificates_data, base-files) are parts of these packages; their whole
# Debian 12 counterparts bound it from above:
base_raw=$( (dpkg -L libc6 libgcc-s1 libssl3 libstdc++6 ca-certificates base-files 2>/dev/null || true) \
  | while read -r f; do if [[ -f "$f" && ! -L "$f" ]]; then stat -c %s "$f"; fi; done | awk '{ s += $1 } END { print s + 0 }')
base_gz=21860000
echo "base runtime-deps:10.0-noble-chiseled: <= $(MB "$base_gz") MB compressed (dotnet-docker size report), <= $(MB "$base_raw") MB uncompressed (Debian 12's libc6, libgcc-s1, libssl3, libstdc++6, ca-certificates, base-files, whole)"
image_raw=$((total_raw + base_raw)); image_gz=$((total_gz + base_gz))
echo "image estimate: <= $(MB "$image_raw") MB uncompressed, <= $(MB "$image_gz") MB compressed (budget 120 MB)"
(( image_raw <= 120000000 && image_gz <= 120000000 )) || fail "over the 120 MB budget"

# 4. the published program runs: HEALTHCHECK's command, the service's routes, and encode == bin/aeonnx's bytes
app="$root/app/AeOnnx.Cli"
export AEONNX_MODEL="$root/opt/aeonnx/models/fashion-mnist-ae" DOTNET_gcServer=1
"$app" serve --host 127.0.0.1 --port 0 --device cpu >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "listening on" "$work/serve.log" && break; kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
url=$(grep -o 'listening on http://[^ ]*' "$work/serve.log" | head -1 | sed 's/listening on //') || { cat "$work/serve.log"; fail "the trimmed service did not start"; }
health=$(grep -o '"wget".*healthz"' deploy/Dockerfile | tr -d '",' | sed "s|http://127.0.0.1:8080/|$url|")
"$root/usr/local/bin/busybox" $health || fail "the image's HEALTHCHECK command failed against $url"
echo "ok: HEALTHCHECK (busybox $health)"
get() { "$root/usr/local/bin/busybox" wget -q -O "$work/$2" "$url$1" || fail "GET /$1"; }
get readyz ready.txt
get openapi/v1.json openapi.json; grep -q '"openapi"' "$work/openapi.json" || fail "/openapi/v1.json"
get metrics metrics.txt; grep -q "^# TYPE" "$work/metrics.txt" || fail "/metrics"
get "" explorer.html; grep -qi "<html" "$work/explorer.html" || fail "the explorer page"
"$root/usr/local/bin/busybox" wget -q -O "$work/sample.json" --header "Content-Type: application/json" --post-data '{"count":4,"seed":7}' "${url}v1/sample" || fail "POST /v1/sample"
grep -q "\[" "$work/sample.json" || fail "/v1/sample answered $(head -c 200 "$work/sample.json")"
png=$(ls samples/images/*.png | head -1)
"$root/usr/local/bin/busybox" wget -q -O "$work/encode.json" --header "Content-Type: image/png" --post-file "$png" "${url}v1/encode" || fail "POST /v1/encode"
grep -q "latent" "$work/encode.json" || fail "/v1/encode answered $(head -c 200 "$work/encode.json")"
echo "ok: /readyz, /openapi/v1.json, /metrics, the explorer page, /v1/sample, /v1/encode answer from the trimmed build"
kill "$server"; wait "$server" 2>/dev/null || true; server=""
"$app" encode samples/images --model "$AEONNX_MODEL" --device cpu --output "$work/trimmed.npy" --quiet
bin/aeonnx encode samples/images --model "$AEONNX_MODEL" --device cpu --output "$work/framework.npy" --quiet 2>/dev/null || fail "bin/aeonnx (make build first)"
cmp -s "$work/trimmed.npy" "$work/framework.npy" || fail "the trimmed build's latents differ from bin/aeonnx's"
echo "ok: encode samples/images: the trimmed build's latents equal bin/aeonnx's byte for byte"

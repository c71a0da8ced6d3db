#!/usr/bin/env bash
# The explorer's map of the whole emoji set (docs/images/explorer-emoji-map.png), taken by headless
# Chromium from `aeonnx serve --explore` on the shipped emoji-ae.
# Usage: scripts/explorer-pictures.sh [OUT_DIR]   (default docs/images; needs `make build`, chromium
# (scripts/setup-browser.sh) and the emoji dataset, which `training-scripts/emoji.py` writes)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images}
data=runs/data/noto-emoji-v1
aeonnx=bin/aeonnx
[ -x "$aeonnx" ] || { echo "error: $aeonnx not found: run make build first" >&2; exit 2; }
[ -f "$data/index.csv" ] || { echo "error: $data not found: run training-scripts/emoji.py --out $data" >&2; exit 2; }
command -v chromium >/dev/null || { echo "error: chromium not found: run scripts/setup-browser.sh" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$aeonnx" serve --model models/emoji-ae --explore "$data" --port "$port" >"$tmp/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 600); do
    state=$(curl -fsS "http://127.0.0.1:$port/v1/explore" 2>/dev/null | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p') || true
    [ "$state" = ready ] && break
    [ "$state" = failed ] && { echo "error: the map failed:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
    sleep 0.5
done
[ "$state" = ready ] || { echo "error: the map was not ready after 5 minutes" >&2; exit 1; }
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
    --window-size=1300,900 --virtual-time-budget=20000 --screenshot="$tmp/map.png" "http://127.0.0.1:$port/" >/dev/null 2>&1
mv "$tmp/map.png" "$out/explorer-emoji-map.png"
echo "wrote $out/explorer-emoji-map.png"

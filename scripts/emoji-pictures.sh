#!/usr/bin/env bash
# The README's emoji pictures, made with the aeonnx command on the shipped emoji models:
#   dog face -> cat face (interpolation), samples of the AE and the VAE, the light -> dark
#   skin tone direction (arithmetic), and the explorer's map of the whole set (`aeonnx serve --explore`,
#   taken by headless Chromium; skipped with a message where chromium is missing: scripts/setup-browser.sh).
# Usage: scripts/emoji-pictures.sh [OUT_DIR]   (default docs/images; needs `make build` and the emoji
# dataset, which `training-scripts/shipped.py --retrain emoji-ae` or `emoji.py` writes)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images}
data=runs/data/noto-emoji-v1
aeonnx=bin/aeonnx
[ -x "$aeonnx" ] || { echo "error: $aeonnx not found: run make build first" >&2; exit 2; }
[ -f "$data/index.csv" ] || { echo "error: $data not found: run training-scripts/emoji.py --out $data" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

# dog face (U+1F436) -> cat face (U+1F431) -> fox (U+1F98A), through the AE's latent space
"$aeonnx" interpolate "$data/animals-nature/1f436.png" "$data/animals-nature/1f431.png" "$data/animals-nature/1f98a.png" \
    --model models/emoji-ae --steps 8 --mode slerp --output "$out/emoji-dog-to-cat.png" --gif "$out/emoji-dog-to-cat.gif" -q
"$aeonnx" sample --model models/emoji-ae --count 32 --seed 3 --output "$out/emoji-samples-ae.png" -q
"$aeonnx" sample --model models/emoji-vae --count 32 --seed 3 --output "$out/emoji-samples-vae.png" -q

# the direction from the centroid of every ': light skin tone' emoji to that of every ': dark skin tone' one
mkdir -p "$tmp/light-skin-tone" "$tmp/dark-skin-tone" "$tmp/inputs"
awk -F, -v d="$data" -v t="$tmp" 'NR > 1 && $6 ~ /: light skin tone$/ { print d "/" $1, t "/light-skin-tone/" NR ".png" }
                                  NR > 1 && $6 ~ /: dark skin tone$/  { print d "/" $1, t "/dark-skin-tone/" NR ".png" }' \
    "$data/index.csv" | while read -r src dst; do ln -s "$PWD/$src" "$dst"; done
# waving hand, thumbs up, woman, man, baby, person raising hand: light skin tone
for f in 1f44b-1f3fb 1f44d-1f3fb 1f469-1f3fb 1f468-1f3fb 1f476-1f3fb 1f64b-1f3fb; do
    ln -s "$PWD/$data/people-body/$f.png" "$tmp/inputs/$f.png"
done
# run inside the temporary folder: the picture's title names the folders, not their temporary path
root=$PWD
(cd "$tmp" && "$root/$aeonnx" arithmetic inputs --model "$root/models/emoji-ae" --from-folder light-skin-tone \
    --to-folder dark-skin-tone --strength 1 --steps 5 --output "$out/emoji-skin-tone.png" -q)

# the explorer's map of all the emoji on emoji-ae (explorer-emoji-map.png)
if ! command -v chromium >/dev/null; then
    echo "emoji-pictures: chromium not found, the explorer's map is left as it is (scripts/setup-browser.sh installs it)" >&2
    exit 0
fi
port=$((20000 + RANDOM % 20000))
"$aeonnx" serve --model models/emoji-ae --explore "$data" --port "$port" >"$tmp/serve.log" 2>&1 &
server=$!
state=
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

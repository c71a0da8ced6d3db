#!/usr/bin/env bash
# The README's emoji pictures, made with the aeonnx command on the shipped emoji models:
#   dog face -> cat face (interpolation), samples of the AE and the VAE, and the light -> dark
#   skin tone direction (arithmetic).
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
trap 'rm -rf "$tmp"' EXIT

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

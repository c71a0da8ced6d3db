#!/usr/bin/env bash
# The main job on the shipped model and the sample images: `make demo` runs it after `make build`
# as scripts/demo.sh OUTDIR. Every step is a plain bin/aeonnx command a user could type.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
aeonnx=bin/aeonnx
images=samples/images
if [ ! -x "$aeonnx" ]; then
  echo "demo: $aeonnx not found; run 'make build' first" >&2
  exit 1
fi
mkdir -p "$out"

# Exit code 3 means "done, some inputs skipped": the demo goes on; anything else stops it.
step() {
  echo
  echo "+ aeonnx $*"
  local rc=0
  "$aeonnx" "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "demo: 'aeonnx $1' failed with exit code $rc" >&2
    exit "$rc"
  fi
}

step info
step encode "$images" --output "$out/latents.npy" --csv "$out/latents.csv"
step reconstruct "$images" --output "$out/reconstructions" --comparison "$out/reconstructions.png" --comparison-count 16
step interpolate "$images/boot-00000.png" "$images/sneaker-00009.png" "$images/bag-00018.png" "$images/trouser-00002.png" \
  --steps 8 --output "$out/interpolation.png" --gif "$out/interpolation.gif"
step sample --count 32 --seed 7 --output "$out/samples.png"
if [ -f models/fashion-mnist-vae/manifest.json ]; then
  step sample --model models/fashion-mnist-vae --count 32 --seed 7 --output "$out/samples-vae.png"
  step sample --model models/fashion-mnist-vae --from prior --count 32 --seed 7 --output "$out/samples-vae-prior.png"
fi
step outliers "$images" --top 8 --output "$out/outliers.csv" --grid "$out/outliers.png"
step arithmetic "$images/shirt-00004.png" "$images/shirt-00007.png" "$images/tshirt-00019.png" \
  --from Shirt --to Coat --strength 2 --steps 5 --output "$out/shirt-to-coat.png"
step decode "$out/latents.npy" --output "$out/decoded"

cat <<TEXT

Demo outputs in $out:
  latents.npy, latents.index.csv, latents.csv   encode: 30 latents (float32 [N, D]), index and CSV
  reconstructions/ (PNGs + index.csv)            reconstruct: one PNG per image, MSE/PSNR per image
  reconstructions.png                            originals above their reconstructions
  interpolation.png, interpolation.gif           interpolate: boot -> sneaker -> bag -> trouser (grid, looping GIF)
  samples.png                                    sample: 32 new images, seed 7 (samples-vae.png: the VAE's fitted latent Gaussian; samples-vae-prior.png: its prior N(0, I))
  outliers.csv, outliers.png                     outliers: ranked by reconstruction error, top 8
  shirt-to-coat.png                              arithmetic: shirts moved along the Shirt -> Coat direction
  decoded/                                       decode: latents.npy back to PNGs
TEXT

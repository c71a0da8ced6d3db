#!/bin/bash
# After deploy/slurm/encode-array.sh: joins $OUT/part-*.npy, in the original input order, into
# $OUT/latents.npy (+ latents.index.csv): the same bytes as one unsharded `aeonnx encode` of the folder.
#   OUT=/scratch/latents sbatch --dependency=afterok:<array job id> deploy/slurm/encode-merge.sh
#SBATCH --job-name=aeonnx-merge
#SBATCH --cpus-per-task=1
#SBATCH --output=aeonnx-merge-%j.out
set -euo pipefail
: "${OUT:?set OUT to the folder the array wrote}"
AEONNX=${AEONNX:-aeonnx}
exec "$AEONNX" merge "$OUT"/part-*.npy --output "$OUT/latents.npy"

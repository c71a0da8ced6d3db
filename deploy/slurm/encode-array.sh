#!/bin/bash
# Encoding one large image folder on a Slurm array: task K of N runs `aeonnx encode --shard K/N` on the
# sorted inputs and writes $OUT/part-K.npy (+ its index and shard record); then encode-merge.sh joins the
# parts into the bytes one unsharded run gives. From the repository root on a shared filesystem:
#   jid=$(IMAGES=/data/images OUT=/scratch/latents sbatch --parsable --array=1-8 deploy/slurm/encode-array.sh)
#   OUT=/scratch/latents sbatch --dependency=afterok:$jid deploy/slurm/encode-merge.sh
# The array must be 1-N (N = the number of shards). A requeued or retried task continues its part (--resume).
# AEONNX: the program (default: aeonnx on PATH, e.g. `dotnet tool install AeOnnx.Cli`, or bin/aeonnx);
# MODEL: the model folder (default: $AEONNX_MODEL, else the shipped fashion-mnist-ae).
# `make scale-check` submits this script to a real (single-node) Slurm cluster and checks the merge.
#SBATCH --job-name=aeonnx-encode
#SBATCH --array=1-8
#SBATCH --cpus-per-task=8
#SBATCH --output=aeonnx-encode-%A_%a.out
#SBATCH --requeue
set -euo pipefail
: "${IMAGES:?set IMAGES to the image folder (or file, glob, @list)}"
: "${OUT:?set OUT to the output folder, shared by all tasks}"
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=1-N}"
if [[ "${SLURM_ARRAY_TASK_MIN}" != 1 || "${SLURM_ARRAY_TASK_MAX}" != "${SLURM_ARRAY_TASK_COUNT}" ]]; then
  echo "encode-array.sh: the array must be 1-N (got ${SLURM_ARRAY_TASK_MIN}-${SLURM_ARRAY_TASK_MAX}, ${SLURM_ARRAY_TASK_COUNT} tasks)" >&2
  exit 2
fi
AEONNX=${AEONNX:-aeonnx}
k=$SLURM_ARRAY_TASK_ID
n=$SLURM_ARRAY_TASK_COUNT
model=()
[[ -n "${MODEL:-}" ]] && model=(--model "$MODEL")
mkdir -p "$OUT"
exec "$AEONNX" encode "$IMAGES" "${model[@]}" --output "$OUT/part-$k.npy" --shard "$k/$n" \
  --threads "${SLURM_CPUS_PER_TASK:-0}" --resume --quiet

#!/bin/bash
# Multi-node data-parallel training on Slurm: one torchrun per node, one process per GPU, nccl.
#   sbatch deploy/training/slurm-train.sh                  (from the repository root on a shared filesystem)
#   RUN=runs/big DATASET=/data/photos sbatch --nodes=4 deploy/training/slurm-train.sh
# Requeue-safe: when $RUN/resume.pt exists (a preempted or timed-out job) the job continues that
# run instead of starting over; resume needs the same node and GPU count (world size).
#SBATCH --job-name=aeonnx-train
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=32
#SBATCH --time=08:00:00
#SBATCH --requeue
#SBATCH --output=%x-%j.out
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
PYTHON=${PYTHON:-python3}
RUN=${RUN:-runs/$SLURM_JOB_NAME}
DATASET=${DATASET:-/data/images}
GPUS=${SLURM_GPUS_PER_NODE:-4}
head_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)

if [ -f "$RUN/resume.pt" ]; then
  args=(--resume "$RUN")                       # the run's saved config is used
else
  args=(--dataset "$DATASET" --channels 3 --image-size 128x128 --model ae --latent-dim 64
        --widths 32,64,128,256 --epochs 30 --batch-size 64 --threads 4 --workers 6 --out "$RUN")
fi

# every node runs one torchrun; they meet at the first node (c10d rendezvous, no extra service)
srun --kill-on-bad-exit=1 "$PYTHON" -m torch.distributed.run \
  --nnodes="$SLURM_NNODES" --nproc_per_node="$GPUS" \
  --rdzv_id="$SLURM_JOB_ID" --rdzv_backend=c10d --rdzv_endpoint="$head_node:29500" \
  training-scripts/train.py "${args[@]}" --device cuda --checkpoint-every 1 \
  --export-to "models/$(basename "$RUN")" --no-progress

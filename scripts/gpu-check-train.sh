#!/usr/bin/env bash
# CUDA training checks, ready for a GPU machine (make gpu-check runs this part too):
#   1. one epoch on CUDA (synthetic 32x32 RGB folder, streamed), exported on CPU, manifest says cuda
#   2. the same run again: bit-identical checkpoint (deterministic CUDA settings)
#   3. one epoch with --amp bf16 (or fp16 where bf16 is unsupported)
#   4. one epoch of Fashion-MNIST on CUDA when the dataset is installed (wall time printed)
#   5. torchrun with 2 processes on 2 GPUs (nccl) when two devices exist, exported model checked
# Prints one PASS/FAIL/SKIP line per check; without CUDA prints SKIP and exits 0. Exit 1 on any FAIL.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(scripts/find-python.sh)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
pass() { echo "PASS gpu-train: $*"; }
fail() { echo "FAIL gpu-train: $*"; fails=$((fails + 1)); }
skip() { echo "SKIP gpu-train: $*"; }

ngpu=$("$PYTHON" -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)' 2>/dev/null || echo 0)
if [ "${ngpu:-0}" -eq 0 ]; then
  skip "no CUDA device visible to torch ($("$PYTHON" -c 'import torch; print("torch", torch.__version__, "CUDA build", torch.version.cuda)' 2>/dev/null || echo 'torch not importable'))"
  exit 0
fi
echo "gpu-train: $ngpu CUDA device(s): $("$PYTHON" -c 'import torch; print(torch.cuda.get_device_name(0))')"

"$PYTHON" training-scripts/synthetic.py --out "$work/shapes" --count 1024 --size 32 >/dev/null || { fail "synthetic data"; exit 1; }
common=(--dataset "$work/shapes" --image-size 32x32 --channels 3 --latent-dim 8 --epochs 1 --batch-size 64 --threads 2 --seed 3 --no-progress)

train_once() {  # name, extra args...
  local name=$1; shift
  local t0=$SECONDS
  if "$PYTHON" training-scripts/train.py "${common[@]}" --out "$work/$name" "$@" >"$work/$name.log" 2>&1; then
    echo "gpu-train: $name took $((SECONDS - t0)) s"
    return 0
  fi
  tail -n 20 "$work/$name.log"
  return 1
}
device_of() { "$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["device"], m["precision"], m["world_size"])' "$1"; }

if train_once cuda1 --device cuda --export-to "$work/m1"; then
  read -r dev prec world <<<"$(device_of "$work/cuda1/train_metrics.json")"
  if [[ $dev == cuda* ]] && [ -f "$work/m1/encoder.onnx" ] && grep -q '"device": "cuda' "$work/m1/manifest.json"; then
    pass "1 epoch on $dev ($prec), exported on CPU"
  else
    fail "1 epoch on CUDA: train_metrics says $dev, or the model folder is incomplete"
  fi
  if train_once cuda2 --device cuda; then
    if cmp -s "$work/cuda1/checkpoint.pt" "$work/cuda2/checkpoint.pt"; then
      pass "CUDA run repeated: bit-identical checkpoint"
    else
      fail "CUDA run repeated: checkpoints differ (a non-deterministic CUDA kernel; see warnings in $work/cuda2.log)"
      grep -i "determin" "$work/cuda2.log" | head -5
    fi
  else
    fail "second CUDA run"
  fi
else
  fail "1 epoch on CUDA"
fi

amp=$("$PYTHON" -c 'import torch; print("bf16" if torch.cuda.is_bf16_supported() else "fp16")')
if train_once amp --device cuda --amp "$amp"; then pass "1 epoch with --amp $amp"; else fail "--amp $amp"; fi

if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  t0=$SECONDS
  if "$PYTHON" training-scripts/train.py --dataset fashion-mnist --epochs 1 --batch-size 256 --device cuda --threads 2 \
       --out "$work/fm" --no-progress >"$work/fm.log" 2>&1; then
    pass "Fashion-MNIST 1 epoch on CUDA in $((SECONDS - t0)) s ($(grep -o 'val loss [^|]*' "$work/fm.log" | tail -1))"
  else
    tail -n 20 "$work/fm.log"; fail "Fashion-MNIST 1 epoch on CUDA"
  fi
else
  skip "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)"
fi

if [ "$ngpu" -ge 2 ]; then
  t0=$SECONDS
  if (cd training-scripts && "$PYTHON" -m aeonnx_training.launch --standalone --nproc_per_node=2 train.py \
        "${common[@]}" --epochs 2 --device cuda --out "$work/ddp" --export-to "$work/mddp") >"$work/ddp.log" 2>&1; then
    read -r dev prec world <<<"$(device_of "$work/ddp/train_metrics.json")"
    if [ "$world" = 2 ] && [ -f "$work/mddp/manifest.json" ]; then
      pass "torchrun 2 GPUs (nccl): world size $world, exported, $((SECONDS - t0)) s"
    else
      fail "torchrun 2 GPUs: world size $world or no model folder"
    fi
  else
    tail -n 30 "$work/ddp.log"; fail "torchrun 2 GPUs (nccl)"
  fi
else
  skip "torchrun on 2 GPUs: only $ngpu device(s)"
fi

[ "$fails" -eq 0 ] && echo "gpu-train: all checks passed" || echo "gpu-train: $fails check(s) failed"
[ "$fails" -eq 0 ]

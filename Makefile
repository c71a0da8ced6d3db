# AeOnnx: train autoencoders in PyTorch, run them in .NET.
#   make demo    the main job on the shipped model and sample images
#   make test    every suite (.NET and Python), then one line "N passed, N failed"
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The interpreter that can import torch (Debian's /usr/bin/python3 first); override with make PYTHON=...
PYTHON ?= $(shell scripts/find-python.sh)
# make build GPU=1: link the CUDA flavor of ONNX Runtime instead of the CPU one.
GPU ?= 0
CONFIGURATION ?= Release
DOTNET_PROPS := -c $(CONFIGURATION) $(if $(filter 1 true yes,$(GPU)),-p:AeOnnxGpu=true,)
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

# The CLI is published ReadyToRun for this machine's runtime identifier: start-up ~0.35 s instead of ~0.5 s.
RID ?= $(shell dotnet --info 2>/dev/null | awk '/^ *RID:/{print $$2; exit}')

MODELS := fashion-mnist-ae fashion-mnist-vae tiny-rgb emoji-ae emoji-vae
DEMO_OUT ?= out/demo

.PHONY: help setup setup-python setup-browser setup-dotnet setup-deploy serve build test test-dotnet test-python scale-check image-check demo train models export bench bench-quick serve-bench serve-bench-quick anomaly-bench anomaly-bench-quick pack gpu-check format clean

help:
	@echo "make demo        run aeonnx on the shipped model and sample images (outputs in $(DEMO_OUT))"
	@echo "make test        run all .NET and Python tests, then print 'N passed, N failed'"
	@echo "make serve       HTTP model service + latent explorer on the shipped model (MODEL=..., PORT=...)"
	@echo "make build       build everything; leaves bin/aeonnx  (GPU=1 for the CUDA flavor)"
	@echo "make setup       install Debian packages for the Python side, restore NuGet packages"
	@echo "make train       retrain the shipped models from scratch (alias: make models)"
	@echo "make export      re-export the shipped models from their committed checkpoints, check SHA-256"
	@echo "make bench       benchmarks against the baselines; writes bench/RESULTS.md (bench-quick: smoke run)"
	@echo "make serve-bench     aeonnx serve vs a minimal ASP.NET Core endpoint, load from another process (part of bench; -quick: smoke)"
	@echo "make anomaly-bench   one-class Fashion-MNIST AUROC vs PCA, ML.NET RandomizedPca, k-NN (part of bench; -quick: 2 classes)"
	@echo "make pack        NuGet packages AeOnnx, AeOnnx.ML and the aeonnx .NET tool in artifacts/packages, then an install check"
	@echo "make scale-check the scale-out runs alone: a Slurm array + merge on a single-node cluster, two-node torchrun (also in make test)"
	@echo "make image-check the container's exact publish output: its size and a run through the service's routes"
	@echo "make gpu-check   on a GPU machine: CUDA build, CUDA tests, CPU-vs-CUDA benchmark, one summary (SKIP lines without a GPU)"
	@echo "make format      dotnet format + black (C# and Python to the style make test checks)"
	@echo "make clean       remove build outputs"

setup: setup-python setup-browser setup-dotnet setup-deploy

setup-python:
	@scripts/setup-python.sh

setup-browser:
	@scripts/setup-browser.sh

setup-deploy:
	@scripts/setup-deploy.sh

setup-dotnet:
	dotnet restore AeOnnx.sln $(if $(filter 1 true yes,$(GPU)),-p:AeOnnxGpu=true,)

build: setup-dotnet
	dotnet build AeOnnx.sln $(DOTNET_PROPS) --no-restore
	dotnet publish src/AeOnnx.Cli/AeOnnx.Cli.csproj $(DOTNET_PROPS) -r $(RID) --self-contained false -p:PublishReadyToRun=true -o artifacts/aeonnx
	@mkdir -p bin
	@printf '#!/usr/bin/env bash\nexec "$$(dirname "$$(readlink -f "$$0")")/../artifacts/aeonnx/AeOnnx.Cli" "$$@"\n' > bin/aeonnx
	@chmod +x bin/aeonnx
	@echo "built: bin/aeonnx"

# The model service and latent explorer on the shipped model: open the printed URL (make serve MODEL=models/tiny-rgb PORT=0).
# The explorer maps Fashion-MNIST's 10,000 test images when Debian's dataset-fashion-mnist is installed (EXPLORE=DIR|IDX-FILE, EXPLORE= for none).
EXPLORE ?= $(wildcard /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz)
serve: build
	bin/aeonnx serve --model $(or $(MODEL),models/fashion-mnist-ae) --port $(or $(PORT),8080) $(if $(EXPLORE),--explore $(EXPLORE))

test: setup build
	@PYTHON="$(PYTHON)" CONFIGURATION="$(CONFIGURATION)" scripts/test-all.sh

test-dotnet: build
	dotnet test AeOnnx.sln $(DOTNET_PROPS) --no-build

test-python: setup-python
	$(PYTHON) -m pytest -q tests/training

scale-check: setup-python setup-deploy build
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/deploy -m scale

image-check: setup-dotnet setup-deploy
	@scripts/image-check.sh

demo: setup build
	@scripts/demo.sh "$(DEMO_OUT)"

train models: setup-python
	$(PYTHON) training-scripts/shipped.py --retrain $(MODELS)

export: setup-python
	$(PYTHON) training-scripts/shipped.py --export-only $(MODELS)

bench: setup build
	@PYTHON="$(PYTHON)" bench/run.sh

bench-quick: setup build
	@PYTHON="$(PYTHON)" bench/run.sh --quick

# aeonnx serve against a minimal ASP.NET Core encode endpoint, the load generator in its own process (part of make bench).
serve-bench: setup build
	@"$(PYTHON)" bench/serve.py

serve-bench-quick: setup build
	@"$(PYTHON)" bench/serve.py --quick

# One-class Fashion-MNIST: an autoencoder per class, AUROC against PCA, ML.NET RandomizedPca and k-NN (part of make bench).
anomaly-bench: setup build
	@PYTHON="$(PYTHON)" bench/anomaly.sh

anomaly-bench-quick: setup build
	@PYTHON="$(PYTHON)" bench/anomaly.sh --quick

pack: setup-dotnet
	@CONFIGURATION="$(CONFIGURATION)" GPU="$(GPU)" scripts/pack.sh

gpu-check:
	@PYTHON="$(PYTHON)" CONFIGURATION="$(CONFIGURATION)" scripts/gpu-check.sh

format:
	dotnet format AeOnnx.sln --severity warn
	$(PYTHON) -m black -q --config training-scripts/pyproject.toml training-scripts tests/training tests/deploy bench scripts

clean:
	rm -rf artifacts bin out TestResults
	find src tests samples bench -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
	find training-scripts tests -type d -name __pycache__ -prune -exec rm -rf {} +

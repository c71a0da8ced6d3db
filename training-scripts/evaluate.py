#!/usr/bin/env python3
"""Evaluate a checkpoint on its test split: MSE, PSNR, SSIM, PCA baseline, VAE ELBO, and the  (entry point; the code is aeonnx_training/evaluate.py)"""
import sys

from aeonnx_training.evaluate import main

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Train a convolutional AE or VAE on Fashion-MNIST or a folder of images.  (entry point; the code is aeonnx_training/train.py)"""
import sys

from aeonnx_training.train import main

if __name__ == "__main__":
    sys.exit(main())

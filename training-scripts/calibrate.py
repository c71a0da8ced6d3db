#!/usr/bin/env python3
"""Calibrate a model folder's anomaly scores on held-out normal images (the manifest's anomaly block).  (entry point; the code is aeonnx_training/calibrate.py)"""
import sys

from aeonnx_training.calibrate import main

if __name__ == "__main__":
    sys.exit(main())

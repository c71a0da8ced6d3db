#!/usr/bin/env python3
"""The shipped models in models/: their training recipes, retraining and re-export.  (entry point; the code is aeonnx_training/shipped.py)"""
import sys

from aeonnx_training.shipped import main

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Export a checkpoint as a model folder (docs/MODEL-FORMAT.md, manifest aeonnx.model/1).  (entry point; the code is aeonnx_training/export.py)"""
import sys

from aeonnx_training.export import main

if __name__ == "__main__":
    sys.exit(main())

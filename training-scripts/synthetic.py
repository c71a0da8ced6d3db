#!/usr/bin/env python3
"""A deterministic RGB image folder (colored shapes on shaded backgrounds), for the tiny-rgb model and tests.  (entry point; the code is aeonnx_training/synthetic.py)"""
import sys

from aeonnx_training.synthetic import main

if __name__ == "__main__":
    sys.exit(main())

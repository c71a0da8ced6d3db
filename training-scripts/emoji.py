#!/usr/bin/env python3
"""The Noto Color Emoji bitmaps as a labelled RGB image folder.  (entry point; the code is aeonnx_training/emoji.py)"""
import sys

from aeonnx_training.emoji import main

if __name__ == "__main__":
    sys.exit(main())

"""AeOnnx training: data, models, training (CPU, CUDA, torchrun), evaluation and ONNX export.

The scripts next to this package (train.py, evaluate.py, export.py, shipped.py, synthetic.py)
are thin entry points; Python puts their folder on sys.path when they run, so
`from aeonnx_training import ...` needs no path manipulation.
"""

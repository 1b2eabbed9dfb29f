"""seglint: find probabilities and one-hot tensors fed to PyTorch losses that expect logits."""

__version__ = "0.1.0"

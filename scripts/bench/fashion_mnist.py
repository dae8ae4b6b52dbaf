"""The Fashion-MNIST images the Python peers read, as geotraj reads them."""

import gzip

import numpy as np
import torch

TRAIN_IMAGES = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def images(path=TRAIN_IMAGES):
    """An IDX image file as an (n, 1, h, w) float32 tensor scaled as geotraj
    scales pixels: 0 -> -1, 255 -> 1."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(3))
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16, count=n * h * w)
    return torch.from_numpy(pixels.astype(np.float32) / 127.5 - 1.0).reshape(n, 1, h, w)

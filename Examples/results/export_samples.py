"""Writes scikit-image's sample photographs as 8-bit gray PNGs into DIR (for measuring only:
they are not committed and never used for training). Usage: python export_samples.py DIR"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image
import skimage.data as data
from skimage.color import rgb2gray
from skimage.util import img_as_ubyte

# Photographs and micrographs at least 296 px on each side (a 256 crop plus a 41 px kernel's
# valid margin); the text pages are too small, the binary horse is not a photograph.
NAMES = ["camera", "astronaut", "brick", "chelsea", "coffee", "coins", "grass", "gravel",
         "hubble_deep_field", "immunohistochemistry", "moon", "rocket", "cat", "retina"]

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for name in NAMES:
    image = getattr(data, name)()
    if image.ndim == 3:
        image = rgb2gray(image[..., :3])
    Image.fromarray(img_as_ubyte(image)).save(out / f"{name}.png")
    print(f"{name}: {image.shape[0]}x{image.shape[1]}")

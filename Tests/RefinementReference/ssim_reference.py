"""Regenerates the scikit-image SSIM number committed in Losses/SSIMLossTests.swift.

Run: /tmp/peers/bin/python Tests/RefinementReference/ssim_reference.py
The two 24 x 20 test planes are defined by formulas so Swift and Python build them identically.
"""
import numpy as np
from skimage.metrics import structural_similarity

h, w = 24, 20
y, x = np.mgrid[0:h, 0:w].astype(np.float32)
a = (0.5 + 0.4 * np.sin(0.3 * x + 0.2 * y)).astype(np.float32)
b = (0.5 + 0.35 * np.sin(0.3 * x + 0.2 * y + 0.5) + 0.05 * np.cos(0.7 * x * y / 10)).astype(np.float32)
s = structural_similarity(a.astype(np.float64), b.astype(np.float64), data_range=1.0, gaussian_weights=True,
                          sigma=1.5, use_sample_covariance=False)
print(repr(s))

#!/usr/bin/env python3
"""The noise estimators of Docs/Methods.md ("Noise estimate") next to their published
definitions, on pure Gaussian noise of known sigma and on smooth images. Run with the peers
interpreter:

    /tmp/peers/bin/python Tests/References/noise_estimators.py

Columns: the Haar median as DeblurKit defines it (estimateNoiseSigma), scikit-image's
estimate_sigma (db2 band, exact zeros dropped), the patch estimate with DeblurKit's stopping test
(mean <= median of the tail; estimatePatchNoiseSigma, all patches since every image here has
fewer than 2^14) and with Chen, Zhu & Heng's (as many eigenvalues above the mean as below).
DeblurKit's two functions agree with the first and third columns to 5 digits on these images.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from skimage import data, restoration


def haar(x):
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    a, b, d, e = x[0:h:2, 0:w:2], x[0:h:2, 1:w:2], x[1:h:2, 0:w:2], x[1:h:2, 1:w:2]
    return float(np.median(np.abs(a - b - d + e) / 2)) / 0.6745


def eigenvalues(x, p=7):
    patches = sliding_window_view(x.astype(np.float64), (p, p)).reshape(-1, p * p)
    return np.sort(np.linalg.eigvalsh(np.cov(patches.T, bias=True)))[::-1]  # descending


def patch_deblurkit(x):
    e = np.maximum(eigenvalues(x), 0)
    for i in range(len(e)):
        tail = e[i:]
        if tail.mean() <= np.median(tail):
            return np.sqrt(tail.mean())
    return np.sqrt(e[-1])


def patch_chen(x):
    e = eigenvalues(x)[::-1]  # ascending, as the authors' code
    for count in range(len(e), 0, -1):
        m = e[:count].mean()
        if np.sum(e[:count] > m) == np.sum(e[:count] < m):
            break
    return np.sqrt(m)


rng = np.random.default_rng(11)
smooth = ndimage.gaussian_filter(data.camera() / 255.0, 2.0)[100:228, 150:278]
cases = [(f"noise {shape[0]}x{shape[1]}", s, 0.5 + s * rng.standard_normal(shape))
         for s in [0.002, 0.01, 0.03, 0.1] for shape in [(128, 128), (96, 150)]]
cases += [("blurred camera", s, smooth + s * rng.standard_normal(smooth.shape)) for s in [0.0, 0.005, 0.01, 0.03]]
cases.append(("blurred camera, 8-bit", 0.003, np.round(np.clip(smooth + 0.003 * rng.standard_normal(smooth.shape), 0, 1) * 255) / 255))
print(f"{'image':24s} {'sigma':>6s} {'Haar':>8s} {'skimage':>8s} {'patch':>8s} {'Chen':>8s}")
for name, s, image in cases:
    x = image.astype(np.float32)
    print(f"{name:24s} {s:6.3f} {haar(x):8.5f} {restoration.estimate_sigma(x.astype(np.float64)):8.5f} "
          f"{patch_deblurkit(x):8.5f} {patch_chen(x):8.5f}")

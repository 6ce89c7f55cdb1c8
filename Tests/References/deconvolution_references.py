#!/usr/bin/env python3
"""Regenerates the scikit-image reference numbers committed in WienerTests.swift,
TikhonovTests.swift and RichardsonLucyTests.swift. Run with the peers interpreter:

    /tmp/peers/bin/python Tests/References/deconvolution_references.py

Input: an 8x10 image x[i, j] = 0.5 + 0.4 sin(0.7 i + 0.3 j) cos(0.2 i j) and the 5x3
asymmetric PSF of ConvolutionOracle.swift (normalized). Outputs (row-major, float32):
  tikhonov: skimage.restoration.wiener(x, psf, balance=0.05, clip=False)        (Laplacian)
  wiener:   skimage.restoration.wiener(x, psf, balance=0.02, reg=delta, clip=False) (identity = deconvwnr)
  rl:       skimage.restoration.richardson_lucy(1.3 x, psf, num_iter=10, clip=True / False)
            on 1.3 x wrapped periodically by 54 pixels on each side, centre cropped: scikit-image
            convolves with zero padding ('same'), so the wrap makes its first 10 iterations
            those of circular RL from 0.5 on the 8x10 image (each iteration reaches 5 pixels
            further in). 1.3 x exceeds 1, so clip=True clips.
"""
import numpy as np
from skimage import restoration

h, w = 8, 10
i, j = np.mgrid[0:h, 0:w]
x = (0.5 + 0.4 * np.sin(0.7 * i + 0.3 * j) * np.cos(0.2 * i * j)).astype(np.float64)
psf = np.array([[0.0, 0.1, 0.3], [0.1, 1.0, 0.2], [0.4, 0.0, 0.1], [0.05, 0.2, 0.0], [0.0, 0.1, 0.0]])
psf = psf / psf.sum()
tik = restoration.wiener(x, psf, balance=0.05, clip=False)
delta = np.zeros((3, 3)); delta[1, 1] = 1
wie = restoration.wiener(x, psf, balance=0.02, reg=delta, clip=False)

def swift(name, a):
    vals = ", ".join(f"{v:.7g}" for v in a.ravel())
    print(f"let {name}: [Float] = [{vals}]")

swift("skimageTikhonovBalance005", tik)
swift("skimageWienerIdentity002", wie)

y = 1.3 * x
pad = 10 * psf.shape[0] + 4
wrapped = np.pad(y, pad, mode="wrap")
for clip, name in [(True, "skimageRichardsonLucyClip"), (False, "skimageRichardsonLucyNoClip")]:
    rl = restoration.richardson_lucy(wrapped, psf, num_iter=10, clip=clip)[pad:-pad, pad:-pad]
    swift(name, rl)

#!/usr/bin/env python3
"""Regenerates the scikit-image reference numbers committed in WienerTests.swift,
TikhonovTests.swift and RichardsonLucyTests.swift, and MATLAB's edgetaper (written out in NumPy
from edgetaper.m's algorithm) for BoundaryHandlingTests.swift. Run with the peers interpreter:

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
  edgetaper: edgetaper(x16, psf) and edgetaper(x16, [0.1 0.2 0.4 0.2 0.1]) on the 16x20 image of
            the same formula (edgetaper needs the PSF under half the image size).
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


def edgetaper(image, kernel):
    """MATLAB's edgetaper: weights 1 - beta per non-singleton axis, beta the circular
    autocorrelation of the PSF's projection at the image's length - 1 with its first value
    repeated at the end; the blend is clipped to the image's range."""
    alpha = np.ones(image.shape)
    for axis in (0, 1):
        projection = kernel.sum(axis=1 - axis)
        if kernel.shape[axis] == 1:
            continue
        z = np.real(np.fft.ifft(np.abs(np.fft.fft(projection, image.shape[axis] - 1)) ** 2))
        z = np.append(z, z[0]) / z.max()
        alpha *= (1 - z)[:, None] if axis == 0 else (1 - z)[None, :]
    padded = np.zeros(image.shape)
    padded[:kernel.shape[0], :kernel.shape[1]] = kernel
    otf = np.fft.fft2(np.roll(padded, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), (0, 1)))
    blurred = np.real(np.fft.ifft2(np.fft.fft2(image) * otf))
    return np.clip(alpha * image + (1 - alpha) * blurred, image.min(), image.max())

i16, j16 = np.mgrid[0:16, 0:20]
x16 = 0.5 + 0.4 * np.sin(0.7 * i16 + 0.3 * j16) * np.cos(0.2 * i16 * j16)
swift("matlabEdgetaper", edgetaper(x16, psf))
line = np.array([[0.1, 0.2, 0.4, 0.2, 0.1]])
swift("matlabEdgetaperLine", edgetaper(x16, line))

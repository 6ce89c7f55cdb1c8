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
  deconvlucy: deconvlucy's damped iteration (DAMPAR 0.01, 30 iterations, no acceleration) on
            x16 + 0.02 sin(1.9 i + 3.7 j^2), circular, written out in NumPy, for RichardsonLucyTests;
            its accelerated iteration without damping (15 iterations) on the same image, and the
            damped one on that image with a dark block of 2e-4.
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


def deconvlucy(y, kernel, iterations, dampar, accelerate=True):
    """MATLAB's deconvlucy(y, psf, iterations, dampar) on periodic data, written out from
    deconvlucy.m and corelucy.m in float64: Biggs-Andrews extrapolation (lambda from the last
    two steps, clamped to [0, 1], from the third iteration; accelerate=False leaves it out, as
    RichardsonLucy does by default), damping by the smooth step
    G = g^9 (10 - 9 g), g = min(deviance / (dampar^2 / 2), 1). MATLAB's eps guards are replaced
    by the floor of 1e-6 on the re-blurred image that RichardsonLucy uses."""
    padded = np.zeros(y.shape)
    padded[:kernel.shape[0], :kernel.shape[1]] = kernel
    otf = np.fft.fft2(np.roll(padded, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), (0, 1)))
    conv = lambda a: np.real(np.fft.ifft2(np.fft.fft2(a) * otf))
    corr = lambda a: np.real(np.fft.ifft2(np.fft.fft2(a) * np.conj(otf)))
    y = np.maximum(y, 0)
    x, previous = y.copy(), y.copy()
    g1, g2 = np.zeros(y.shape), np.zeros(y.shape)
    for k in range(1, iterations + 1):
        lam = 0.0
        if accelerate and k > 2 and (g2 * g2).sum() > 0:
            lam = min(max((g1 * g2).sum() / (g2 * g2).sum(), 0), 1)
        base = np.maximum(x + lam * (x - previous), 0)
        reblurred = np.maximum(conv(base), 1e-6)
        ratio = y / reblurred
        with np.errstate(divide="ignore", invalid="ignore"):
            deviance = np.where(y > 0, y * np.log(np.where(y > 0, ratio, 1)) + reblurred - y, reblurred)
        if dampar > 0:
            g = np.minimum(np.maximum(deviance, 0) / (dampar ** 2 / 2), 1)
            ratio = 1 + g ** 9 * (10 - 9 * g) * (ratio - 1)
        new = np.maximum(base * corr(ratio), 0)
        g2, g1 = g1, new - base
        previous, x = x, new
    return x

# x16 with a ripple of 0.02 the fit leaves behind: many deviances sit near DAMPAR^2/2 = 5e-5,
# where their float32 rounding moved the damped iterates by up to 7.6e-5 (1.7e-3 accelerated).
y16 = (x16 + 0.02 * np.sin(1.9 * i16 + 3.7 * j16 * j16)).astype(np.float32).astype(np.float64)
psf32 = psf.astype(np.float32).astype(np.float64)
psf32 /= psf32.sum()
swift("deconvlucyDamped", deconvlucy(y16, psf32, 30, 0.01, accelerate=False))
# Biggs-Andrews acceleration alone (no damping), 15 iterations: lambda's first use at k = 3.
swift("deconvlucyAccelerated", deconvlucy(y16, psf32, 15, 0, accelerate=True))
# A dark block (2e-4, below the blur's reach of any bright pixel at its centre) where the
# re-blurred image falls under 1e-3: the damped path's floor of 1e-6 decides the ratio there.
dark = y16.copy()
dark[3:13, 4:16] = np.float32(2e-4)
swift("deconvlucyDampedDark", deconvlucy(dark, psf32, 30, 0.01, accelerate=False))

#!/usr/bin/env python3
"""MATLAB's fspecial('motion' | 'disk' | 'gaussian') written out in NumPy from fspecial.m's
algorithm (MATLAB itself is not needed), and the expectations committed in PSFDiskTests.swift.
Run with the peers interpreter:

    /tmp/peers/bin/python Tests/References/fspecial_references.py

It prints the Swift arrays for fspecial('disk', 1.55) and fspecial('disk', 2.52), two radii
inside the end-pixel correction band (crad - 1/2 < r < sqrt((crad - 1/2)^2 + 1/4)).
With --compare DEBLUR (a built `deblur`), it also runs `deblur psf motion|disk|gaussian` over a
grid of lengths, angles, radii and sigmas and prints the largest difference per kind.
"""
import subprocess, sys, tempfile, os
import numpy as np

EPS = np.finfo(float).eps  # MATLAB's eps


def motion(length, theta):
    ln = max(1.0, length)
    half = (ln - 1) / 2
    phi = (theta - np.floor(theta / 180) * 180) / 180 * np.pi  # mod(theta, 180)
    c, s = np.cos(phi), np.sin(phi)
    xsign = np.sign(c)
    sx = np.fix(half * c + xsign - ln * EPS)
    sy = np.fix(half * s + 1 - ln * EPS)
    x, y = np.meshgrid(np.arange(0, sx + xsign * 0.5, xsign), np.arange(0, sy + 0.5))
    d = y * c - x * s
    last = (np.sqrt(x ** 2 + y ** 2) >= half) & (np.abs(d) <= 1)
    d[last] = np.sqrt(d[last] ** 2 + (half - np.abs((x[last] + d[last] * s) / c)) ** 2)
    d = np.maximum(1 + EPS - np.abs(d), 0)
    m, n = d.shape
    h = np.zeros((2 * m - 1, 2 * n - 1))
    h[:m, :n] = np.rot90(d, 2)
    h[m - 1:, n - 1:] = d
    h /= h.sum() + EPS * ln * ln
    return np.flipud(h) if c > 0 else h


def disk(rad):
    crad = int(np.ceil(rad - 0.5))
    x, y = np.meshgrid(np.arange(-crad, crad + 1.0), np.arange(-crad, crad + 1.0))
    big, small = np.maximum(abs(x), abs(y)), np.minimum(abs(x), abs(y))
    r2 = rad ** 2
    root = lambda v: np.sqrt(np.maximum(v, 0))  # only read where MATLAB's mask keeps it
    m1 = np.where(r2 < (big + 0.5) ** 2 + (small - 0.5) ** 2, small - 0.5, root(r2 - (big + 0.5) ** 2))
    m2 = np.where(r2 > (big - 0.5) ** 2 + (small + 0.5) ** 2, small + 0.5, root(r2 - (big - 0.5) ** 2))
    a1, a2 = np.arcsin(np.clip(m1 / rad, -1, 1)), np.arcsin(np.clip(m2 / rad, -1, 1))
    ring = ((r2 < (big + 0.5) ** 2 + (small + 0.5) ** 2) & (r2 > (big - 0.5) ** 2 + (small - 0.5) ** 2)) | \
           ((small == 0) & (big - 0.5 < rad) & (big + 0.5 >= rad))
    g = np.where(ring, r2 * (0.5 * (a2 - a1) + 0.25 * (np.sin(2 * a2) - np.sin(2 * a1)))
                 - (big - 0.5) * (m2 - m1) + (m1 - small + 0.5), 0.0)
    g += (big + 0.5) ** 2 + (small + 0.5) ** 2 < r2
    g[crad, crad] = min(np.pi * r2, np.pi / 2)
    if crad > 0 and rad > crad - 0.5 and r2 < (crad - 0.5) ** 2 + 0.25:
        m1 = np.sqrt(r2 - (crad - 0.5) ** 2)
        m1n = m1 / rad
        sg0 = 2 * (r2 * (0.5 * np.arcsin(m1n) + 0.25 * np.sin(2 * np.arcsin(m1n))) - m1 * (crad - 0.5))
        for (i, j), (k, l) in [((2 * crad, crad), (2 * crad - 1, crad)), ((crad, 2 * crad), (crad, 2 * crad - 1)),
                               ((crad, 0), (crad, 1)), ((0, crad), (1, crad))]:
            g[i, j] = sg0
            g[k, l] -= sg0
    g[crad, crad] = min(g[crad, crad], 1)
    return g / g.sum()


def gaussian(size, sigma):
    m = (size - 1) / 2
    y, x = np.mgrid[-m:m + 1, -m:m + 1]
    h = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    h[h < EPS * h.max()] = 0
    return h / h.sum()


def swift(name, a):
    print(f"let {name}: [Float] = [{', '.join(f'{v:.8g}' for v in a.ravel())}]")


def compare(deblur):
    import tifffile
    out = os.path.join(tempfile.mkdtemp(), "k.tif")
    def run(*args):
        subprocess.run([deblur, "psf", *args, "-o", out], check=True, capture_output=True)
        return tifffile.imread(out).astype(np.float64)
    worst = {}
    def note(kind, got, want, what):
        e = np.abs(got - want).max() if got.shape == want.shape else np.inf
        if e > worst.get(kind, (-1,))[0]: worst[kind] = (e, what)
    for L in [1, 1.5, 2, 2.7, 3, 4, 5, 7, 9, 10, 13, 15, 20, 21, 24.5, 31, 40, 57.3]:
        for a in [-370, -45, -0.5, 0, 1, 10, 22.5, 30, 44.9, 45, 60, 89.99, 90, 90.01, 120, 135, 179.999, 180, 270, 725.5]:
            note("motion", run("motion", "--length", str(L), f"--angle={a}"), motion(L, a), (L, a))
    for r in [0.5, 0.6, 1, 1.2, 1.5, 1.51, 1.55, 1.6, 2, 2.5, 2.52, 3, 3.52, 4.5, 4.52, 7.51, 8, 10.3]:
        note("disk", run("disk", "--radius", str(r)), disk(r), r)
    for s in [0.3, 0.5, 1, 1.5, 2, 3, 5.7]:
        note("gaussian", run("gaussian", "--sigma", str(s)), gaussian(2 * int(np.ceil(3 * s)) + 1, s), s)
    for kind, (e, what) in worst.items():
        print(f"{kind}: largest difference {e:.3g} at {what}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        compare(sys.argv[2])
    else:
        swift("fspecialDisk155", disk(1.55))
        swift("fspecialDisk252", disk(2.52))

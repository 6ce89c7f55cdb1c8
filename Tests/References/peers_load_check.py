"""Checks that Examples/peers.py reads files as DeblurKit reads them (Docs/FileFormats.md), so
that 'peers.py metrics', Evaluation.md's check against scikit-image, scores the same samples as
'deblur metrics': alpha dropped (PNG gray+alpha and RGBA, TIFF extra samples), a planar RGB TIFF
channels last, a multi-page TIFF's first page only. Before 2026-11-28 peers.py scored alpha as a
channel (RGBA PNGs: PSNR 28.25 against deblur's 27.00 dB) and refused planar TIFFs ('shapes differ').

    /tmp/peers/bin/python Tests/References/peers_load_check.py     # prints "ok", or fails
"""
import os, sys, tempfile

import numpy as np
import tifffile
from skimage import io

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Examples"))
from peers import load  # noqa: E402

rng = np.random.default_rng(0)
rgba8 = rng.integers(0, 256, (12, 10, 4), dtype=np.uint8)
rgb = rng.random((12, 10, 3)).astype(np.float32)
alpha = rng.random((12, 10, 1)).astype(np.float32)
gray = rng.random((12, 10)).astype(np.float32)
expected8 = rgba8.astype(np.float32) / np.float32(255)

with tempfile.TemporaryDirectory() as d:
    p = lambda name: os.path.join(d, name)
    io.imsave(p("rgba.png"), rgba8, check_contrast=False)
    io.imsave(p("la.png"), rgba8[..., [0, 3]], check_contrast=False)
    tifffile.imwrite(p("planar.tif"), np.moveaxis(rgb, -1, 0), photometric="rgb", planarconfig="separate")
    tifffile.imwrite(p("rgba-planar.tif"), np.moveaxis(np.concatenate([rgb, alpha], -1), -1, 0),
                     photometric="rgb", planarconfig="separate", extrasamples=["unassalpha"])
    tifffile.imwrite(p("rgba.tif"), np.concatenate([rgb, alpha], -1), photometric="rgb", extrasamples=["unassalpha"])
    tifffile.imwrite(p("ga.tif"), np.stack([gray, alpha[..., 0]], -1), photometric="minisblack",
                     planarconfig="contig", extrasamples=["unassalpha"])
    tifffile.imwrite(p("pages.tif"), np.stack([gray, gray + 1]), photometric="minisblack")

    cases = [("rgba.png", expected8[..., :3]), ("la.png", expected8[..., 0]), ("planar.tif", rgb),
             ("rgba-planar.tif", rgb), ("rgba.tif", rgb), ("ga.tif", gray), ("pages.tif", gray)]
    for name, want in cases:
        got = load(p(name))
        assert got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"
        assert np.array_equal(got, want.astype(np.float64)), f"{name}: samples differ"
print("ok")

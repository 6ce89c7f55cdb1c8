#!/usr/bin/env python3
"""Restore a DeblurKit dataset with scikit-image, for `deblur compare --methods saved:dir=OUT`.

The pattern for any method that lives outside DeblurKit (a PyTorch model, MATLAB, another
library): read each item's blurred image and PSF from the dataset, write the restoration as
OUT/<item id>.tif (32-bit float, or 8/16-bit PNG/TIFF), and let `compare` score it beside the
built-in methods with the same metrics, tuning split, reports and paired intervals.

    deblur synth --out ds --count 8 --size 128 --seed 3
    /tmp/peers/bin/python Examples/external/skimage_restore.py ds skimage-rl --method rl --iterations 30
    deblur compare ds --methods "blurred,rl:iterations=30,saved:dir=skimage-rl" --report report.md

Methods: `rl` (restoration.richardson_lucy, clip off), `wiener` (restoration.wiener with
--balance), `unsupervised-wiener` (restoration.unsupervised_wiener, seeded). Needs
scikit-image and tifffile (pip install scikit-image tifffile); color items are restored
channel by channel.
"""
import argparse, json, os, sys, time

import numpy as np
import tifffile
from skimage import io, restoration


def read(path):
    image = tifffile.imread(path) if path.lower().endswith((".tif", ".tiff")) else io.imread(path)
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255
    if image.dtype == np.uint16:
        return image.astype(np.float64) / 65535
    return image.astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="a dataset folder written by deblur synth")
    parser.add_argument("out", help="folder for <item id>.tif (created)")
    parser.add_argument("--method", choices=["rl", "wiener", "unsupervised-wiener"], default="rl")
    parser.add_argument("--iterations", type=int, default=30, help="rl: iterations (default 30)")
    parser.add_argument("--balance", type=float, default=0.01, help="wiener: regularization (default 0.01)")
    parser.add_argument("--items", default="items.jsonl", help="the items file (a shard's items-K-of-N.jsonl)")
    args = parser.parse_args()

    with open(os.path.join(args.dataset, args.items)) as f:
        items = [json.loads(line) for line in f if line.strip()]
    os.makedirs(args.out, exist_ok=True)
    seconds = 0.0
    for item in items:
        blurred = read(os.path.join(args.dataset, item["blurred"]))
        psf = read(os.path.join(args.dataset, item["psf"]))
        if blurred.ndim == 3 and blurred.shape[-1] not in (3, 4) and blurred.shape[0] == 3:
            blurred = np.moveaxis(blurred, 0, -1)  # a planar RGB TIFF, read as (channel, y, x)
        if blurred.ndim == 3:
            blurred = blurred[..., :3]  # RGB; an alpha channel is dropped, as deblur does
        elif blurred.ndim != 2:
            sys.exit(f"{item['blurred']}: expected a gray or RGB image, got shape {blurred.shape}")
        start = time.perf_counter()
        # Color images channel by channel, as DeblurKit restores them.
        planes = [blurred] if blurred.ndim == 2 else [blurred[..., c] for c in range(blurred.shape[-1])]
        restored_planes = []
        for plane in planes:
            if args.method == "rl":
                restored_planes.append(restoration.richardson_lucy(plane, psf, num_iter=args.iterations, clip=False))
            elif args.method == "wiener":
                restored_planes.append(restoration.wiener(plane, psf, args.balance, clip=False))
            else:
                restored_planes.append(restoration.unsupervised_wiener(plane, psf, clip=False, rng=0)[0])
        restored = restored_planes[0] if blurred.ndim == 2 else np.stack(restored_planes, axis=-1)
        seconds += time.perf_counter() - start
        # Written under a temporary name and renamed, as deblur writes: an interrupted run
        # leaves no half-written file for compare to score.
        path = os.path.join(args.out, item["id"] + ".tif")
        tifffile.imwrite(path + ".tmp", restored.astype(np.float32), photometric="minisblack" if restored.ndim == 2 else "rgb")
        os.replace(path + ".tmp", path)
    print(f"{len(items)} item(s) restored with skimage {args.method} into {args.out} "
          f"({seconds / max(len(items), 1):.3f} s per item)")


if __name__ == "__main__":
    main()

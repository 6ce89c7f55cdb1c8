"""Averages whole `deblur refine` runs over the eight flips and 90° rotations of the input.

Each run restores the blurred image and its PSF under one symmetry (a valid blur commutes with
them: T(k ⊛ x) = T(k) ⊛ T(x) for an odd-sized, centred kernel), and its output is transformed
back; the script scores the plain run and the average, each clipped to [0, 1], against the
sharp images, with scikit-image's PSNR and SSIM under `compare`'s default settings (`wang2004`;
`compare` scores unclipped, so its `cnn` row can read a little lower than the plain run here:
34.293 against 34.302 dB on 4 items). Only the items
`compare` scored (those with a `cnn` row in RESULTS_DIR/results.csv, not the tuning split) are
used. RESULTS_DIR is one level of `evaluate.sh`'s output.

    PYTHON=/tmp/peers/bin/python
    $PYTHON Examples/results/whole_run_ensemble.py /tmp/results/sigma-0.01 /tmp/ensemble

Cross-checking only: Python is never a dependency of the toolkit.
"""
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tifffile
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from pnp_reference import read, symmetry  # beside this script: the dataset reader, the 8 symmetries


def main():
    results, scratch = sys.argv[1], sys.argv[2]
    deblur = os.environ.get("DEBLUR", ".build/release/deblur")
    dataset = os.path.join(results, "dataset")
    os.makedirs(scratch, exist_ok=True)
    items = {}
    for line in open(os.path.join(dataset, "items.jsonl")):
        item = json.loads(line)
        items[item["id"]] = item
    scored = sorted({r["item"] for r in csv.DictReader(open(os.path.join(results, "results.csv"))) if r["method"] == "cnn"})

    def run(job):
        ident, k = job
        out = os.path.join(scratch, f"{ident}_{k}.tif")
        if os.path.exists(out):
            return
        item = items[ident]
        for what in ("blurred", "psf"):
            a = tifffile.imread(os.path.join(dataset, item[what])).astype(np.float32)
            tifffile.imwrite(os.path.join(scratch, f"{what}_{ident}_{k}.tif"), np.ascontiguousarray(symmetry(a, k)))
        subprocess.run([deblur, "refine", os.path.join(scratch, f"blurred_{ident}_{k}.tif"),
                        "--psf", os.path.join(scratch, f"psf_{ident}_{k}.tif"), "-o", out, "--quiet"], check=True)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, [(i, k) for i in scored for k in range(8)]))
    rows = []
    for ident in scored:
        sharp = read(os.path.join(dataset, items[ident]["sharp"]))
        outs = [symmetry(tifffile.imread(os.path.join(scratch, f"{ident}_{k}.tif")).astype(np.float64), k, inverse=True) for k in range(8)]
        plain, average = np.clip(outs[0], 0, 1), np.clip(np.mean(outs, axis=0), 0, 1)
        rows.append([peak_signal_noise_ratio(sharp, x, data_range=1) for x in (plain, average)]
                    + [structural_similarity(sharp, x, data_range=1, gaussian_weights=True, sigma=1.5,
                                             use_sample_covariance=False) for x in (plain, average)])
    psnr1, psnr8, ssim1, ssim8 = np.mean(rows, axis=0)
    print(f"{len(scored)} items: one run {psnr1:.3f} dB / {ssim1:.4f}, eight runs averaged {psnr8:.3f} dB / {ssim8:.4f}")


if __name__ == "__main__":
    main()

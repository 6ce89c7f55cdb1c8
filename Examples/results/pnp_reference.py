"""Plug-and-play deblurring with another denoiser: how far a stronger prior would take the CNN.

    deblur export-onnx MODEL -o model.onnx
    python pnp_reference.py DATASET --denoiser onnx:model.onnx   # checks this mirror against deblur
    python pnp_reference.py DATASET --denoiser bm3d               # pip install bm3d
    python pnp_reference.py DATASET --denoiser bm3d --items results/sigma-0.01/results.json

A NumPy copy of deblur's plug-and-play restorer (Refinement/PlugAndPlay.swift, Docs/CNN.md):
half-quadratic splitting on the observation extended by the PSF size − 1 to a fast FFT
size, the data step solved by conjugate gradients on the masked normal equations
preconditioned by |K|² + α (relative residual 10⁻³, at most 50 steps), the start the
observation reflected into the margin, 8 steps with the denoiser level falling geometrically
from 49/255 to σ and α = 0.23 σ² / σₖ², step k seen under the (k mod 8)-th symmetry of the
square. The noise level is the dataset's true σ (give deblur the same with
`cnn:noise_sigma=σ` when checking the mirror). deblur's last steps also filter with BM3D's
collaborative Wiener stage (`cnn:collaborative=4` by default); `--collaborative N` does the
same here with the `bm3d` package's stage (`stage_arg=` the denoiser's output), a different
implementation of the same filter: compare deblur with `cnn:collaborative=0` when checking
the mirror without it.

Only the denoiser differs: `onnx:FILE` runs an exported deblur denoiser through onnxruntime
(to check that this copy reproduces deblur's scores), `bm3d` runs BM3D (Dabov et al. 2007,
the `bm3d` package) at σₖ — the classical denoiser the shipped network trails by 0.7–1.1 dB
on photographs (denoise_photos.py). Scores are deblur compare's: PSNR and SSIM (wang2004:
Gaussian window σ 1.5, data range 1) of the observed window against the sharp image, no
crop. `--items REPORT.json` scores only the items of a `compare --json` report (the 38
items left after `--tune`'s validation split in Docs/Results.md). Prints a JSON line per item
and the means. For measuring only: never a dependency of the toolkit.
"""
import argparse
import json
import os
import time

import numpy as np
import tifffile
from PIL import Image
from scipy.fft import next_fast_len, rfft2, irfft2
from skimage.metrics import structural_similarity


def read(path):
    """A dataset file on deblur's [0, 1] scale: float TIFF as stored, integers over their maximum."""
    a = tifffile.imread(path) if path.endswith((".tif", ".tiff")) else np.asarray(Image.open(path))
    if a.dtype.kind == "f":
        return a.astype(np.float64)
    return a.astype(np.float64) / np.iinfo(a.dtype).max


class Data:
    """The masked data step on the extended domain (MaskedDataProximal.swift)."""

    def __init__(self, y, psf):
        kh, kw = psf.shape
        self.h, self.w = y.shape
        self.ph, self.pw = next_fast_len(self.h + kh - 1, real=True), next_fast_len(self.w + kw - 1, real=True)
        self.top, self.left = kh // 2, kw // 2
        k = np.zeros((self.ph, self.pw))
        k[:kh, :kw] = psf
        self.otf = rfft2(np.roll(k, (-(kh // 2), -(kw // 2)), axis=(0, 1)))
        self.mask = np.zeros((self.ph, self.pw), bool)
        self.mask[self.top:self.top + self.h, self.left:self.left + self.w] = True
        self.y = np.zeros((self.ph, self.pw))
        self.y[self.mask] = y.ravel()
        self.observation = y

    def start(self):
        pad = ((self.top, self.ph - self.h - self.top), (self.left, self.pw - self.w - self.left))
        return np.pad(self.observation, pad, mode="symmetric")

    def window(self, x):
        return x[self.top:self.top + self.h, self.left:self.left + self.w]

    def conv(self, v, conjugate=False):
        otf = np.conj(self.otf) if conjugate else self.otf
        return irfft2(rfft2(v) * otf, s=v.shape)

    def solve(self, z, alpha, tolerance=1e-3, max_iterations=50):
        def apply(v):
            return self.conv(np.where(self.mask, self.conv(v), 0), conjugate=True) + alpha * v

        def precondition(v):
            return irfft2(rfft2(v) / (np.abs(self.otf) ** 2 + alpha), s=v.shape)

        r = self.conv(np.where(self.mask, self.y - self.conv(z), 0), conjugate=True)
        return conjugate_gradients(apply, precondition, z.copy(), r, tolerance, max_iterations)


def conjugate_gradients(apply, precondition, x, r, tolerance, max_iterations):
    """Preconditioned CG from `x` with residual `r`, stopped at a relative preconditioned
    residual of `tolerance` (MaskedLinearSolver.swift's loop)."""
    q = precondition(r)
    p = q.copy()
    rs = initial = float(np.sum(r * q))
    if initial <= 0:
        return x
    for _ in range(max_iterations):
        ap = apply(p)
        pq = float(np.sum(p * ap))
        if pq <= 0:
            break
        a = rs / pq
        x += a * p
        r -= a * ap
        q = precondition(r)
        new = float(np.sum(r * q))
        if new <= tolerance ** 2 * initial:
            break
        p = q + new / rs * p
        rs = new
    return x


def symmetry(x, code, inverse=False):
    turns, flip = code % 4, code >= 4
    if inverse:
        x = np.rot90(x, -turns)
        return np.fliplr(x) if flip else x
    return np.rot90(np.fliplr(x) if flip else x, turns)


def make_denoiser(spec, threads):
    if spec == "bm3d":
        import bm3d
        return lambda x, s: bm3d.bm3d(x, s)
    if spec.startswith("onnx:"):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(spec[5:], options, providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]

        def run(x, s):
            h, w = x.shape
            # The U-Net needs multiples of 2^depth; reflect up to a multiple of 8 and crop back.
            ph, pw = -h % 8, -w % 8
            xp = np.pad(x, ((0, ph), (0, pw)), mode="symmetric").astype(np.float32)[None, None]
            feeds = {n: xp if n == "estimate" else np.full_like(xp, s) for n in names}
            return session.run(None, feeds)[0][0, 0, :h, :w].astype(np.float64)
        return run
    raise SystemExit(f"unknown denoiser {spec!r}: bm3d or onnx:FILE")


def restore(y, psf, sigma, denoise, iterations=8, sigma_start=49 / 255, lam=0.23, collaborative=0):
    data = Data(y, psf)
    sigma = max(sigma, 1e-3)
    end = min(sigma, sigma_start)
    levels = [sigma_start * (end / sigma_start) ** (k / (iterations - 1)) for k in range(iterations)]
    z = data.start()
    for k, level in enumerate(levels):
        x = data.solve(z, lam * sigma ** 2 / level ** 2)
        code = k % 8
        z = symmetry(denoise(np.ascontiguousarray(symmetry(x, code)), level), code, inverse=True)
        if k >= iterations - collaborative:
            import bm3d
            z = bm3d.bm3d(x, level, stage_arg=z)
    return data.window(z)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset")
    p.add_argument("--denoiser", required=True, help="bm3d or onnx:FILE")
    p.add_argument("--items", help="a compare --json report: score only its items")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--collaborative", type=int, default=0,
                   help="the last N steps filter with bm3d's collaborative Wiener stage (deblur's default: 4)")
    a = p.parse_args()
    items = [json.loads(line) for line in open(os.path.join(a.dataset, "items.jsonl"))]
    if a.items:
        keep = {i["id"] for i in json.load(open(a.items))["items"]}
        items = [i for i in items if i["id"] in keep]
    if a.limit:
        items = items[:a.limit]
    denoise = make_denoiser(a.denoiser, a.threads)
    psnrs, ssims = [], []
    for item in items:
        y = read(os.path.join(a.dataset, item["blurred"]))
        psf = read(os.path.join(a.dataset, item["psf"]))
        psf /= psf.sum()
        sharp = read(os.path.join(a.dataset, item["sharp"]))
        start = time.time()
        out = restore(y, psf, item["noise_sigma"], denoise, collaborative=a.collaborative)
        psnr = 10 * np.log10(1 / np.mean((out - sharp) ** 2))
        ssim = structural_similarity(out, sharp, data_range=1, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
        psnrs.append(psnr); ssims.append(ssim)
        print(json.dumps({"id": item["id"], "psnr": round(psnr, 3), "ssim": round(ssim, 4),
                          "seconds": round(time.time() - start, 2)}), flush=True)
    print(json.dumps({"denoiser": a.denoiser, "items": len(psnrs), "psnr": round(float(np.mean(psnrs)), 3),
                      "ssim": round(float(np.mean(ssims)), 4)}))


if __name__ == "__main__":
    main()

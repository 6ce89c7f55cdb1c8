"""Two ways to give cnn's result the automatic Wiener filter's strength on stochastic texture,
measured on saved results (Docs/CNN.md, "Two held-out photographs of stochastic texture").

    deblur compare DATASET --methods "wiener:nsr=auto,cnn" --save-restored RESTORED
    python texture_stage.py DATASET RESTORED --alphas 0.1,0.3,1       # pip install bm3d

1. BM3D-DEB's second stage after cnn (Dabov et al. 2008, "Image restoration by sparse 3D
   transform-domain collaborative filtering"): a regularized Wiener inverse whose signal
   spectrum is the cnn result's own, |P|² / (|P|² |K|² + α N σ²), solved by conjugate gradients
   on the masked normal equations over the extended domain (pnp_reference.Data: the `valid`
   observation), then the `bm3d` package's collaborative Wiener filter given that inverse's
   coloured noise spectrum (N σ² |W|² on the observed window) and the cnn result as the pilot.
2. A blend (1 − w) cnn + w wiener:nsr=auto at fixed weights, and with the best weight per item
   (which needs the sharp image: an upper bound, not a method).

Uses the dataset's true σ. Prints a JSON line per item and the means. For measuring only: never
a dependency of the toolkit.
"""
import argparse
import json
import os

import numpy as np
from scipy.fft import fft2, irfft2, rfft2

from pnp_reference import Data, conjugate_gradients, read

if not hasattr(np, "trapz"):  # the bm3d package still calls np.trapz, removed in NumPy 2
    np.trapz = np.trapezoid


def wiener_inverse(data, pilot, sigma, alpha, iterations=100, tolerance=1e-4):
    """argmin ‖M(k ⊛ x − y)‖² + α N σ² Σ |X_f|² / |P_f|² by preconditioned CG, from the pilot."""
    reg = alpha * data.ph * data.pw * sigma ** 2 / np.maximum(np.abs(rfft2(pilot)) ** 2, 1e-12)

    def prior(v):
        return irfft2(rfft2(v) * reg, s=v.shape)

    def apply(v):
        return data.conv(np.where(data.mask, data.conv(v), 0), conjugate=True) + prior(v)

    def precondition(v):
        return irfft2(rfft2(v) / (np.abs(data.otf) ** 2 + reg), s=v.shape)

    r = data.conv(np.where(data.mask, data.y - data.conv(pilot), 0), conjugate=True) - prior(pilot)
    return conjugate_gradients(apply, precondition, pilot.copy(), r, tolerance, iterations)


def noise_spectrum(psf, pilot, sigma, alpha):
    """The inverse's noise spectrum on the window, in the bm3d package's convention (N σ² white)."""
    h, w = pilot.shape
    kh, kw = psf.shape
    k = np.zeros((h, w))
    k[:kh, :kw] = psf
    otf = fft2(np.roll(k, (-(kh // 2), -(kw // 2)), axis=(0, 1)))
    p2 = np.abs(fft2(pilot)) ** 2
    n = h * w
    transfer = np.conj(otf) * p2 / (p2 * np.abs(otf) ** 2 + alpha * n * sigma ** 2)
    return n * sigma ** 2 * np.abs(transfer) ** 2


def psnr(x, sharp):
    return 10 * np.log10(1 / np.mean((x - sharp) ** 2))


def restored(folder, item):
    for ext in (".tif", ".tiff", ".png"):
        path = os.path.join(folder, item["id"] + ext)
        if os.path.exists(path):
            return read(path)
    raise SystemExit(f"no restored image for item {item['id']} in {folder}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset")
    p.add_argument("restored", help="compare --save-restored's folder (with cnn/ and wiener_nsr=auto/)")
    p.add_argument("--alphas", default="0.1,0.3,1", help="the Wiener inverse's regularization factors")
    p.add_argument("--weights", default="0.05,0.1,0.2", help="the blend's fixed Wiener weights")
    a = p.parse_args()
    import bm3d
    alphas = [float(v) for v in a.alphas.split(",")]
    weights = [float(v) for v in a.weights.split(",")]
    items = [json.loads(line) for line in open(os.path.join(a.dataset, "items.jsonl"))]
    scores = {}
    for item in items:
        y = read(os.path.join(a.dataset, item["blurred"]))
        psf = read(os.path.join(a.dataset, item["psf"]))
        psf /= psf.sum()
        sharp = read(os.path.join(a.dataset, item["sharp"]))
        cnn = restored(os.path.join(a.restored, "cnn"), item)
        wiener = restored(os.path.join(a.restored, "wiener_nsr=auto"), item)
        sigma = item["noise_sigma"]
        data = Data(y, psf)
        pad = ((data.top, data.ph - data.h - data.top), (data.left, data.pw - data.w - data.left))
        extended = np.pad(cnn, pad, mode="symmetric")
        line = {"id": item["id"], "cnn": psnr(cnn, sharp)}
        for alpha in alphas:
            inverse = data.window(wiener_inverse(data, extended, sigma, alpha))
            out = bm3d.bm3d(inverse, noise_spectrum(psf, cnn, sigma, alpha), stage_arg=cnn)
            line[f"stage alpha={alpha:g}"] = psnr(out, sharp)
        d = wiener - cnn
        for w in weights:
            line[f"blend w={w:g}"] = psnr(cnn + w * d, sharp)
        best = float(np.clip(np.sum((sharp - cnn) * d) / max(np.sum(d * d), 1e-20), 0, 1))
        line["blend best"] = psnr(cnn + best * d, sharp)
        for key, value in line.items():
            if key != "id":
                scores.setdefault(key, []).append(value)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in line.items()}), flush=True)
    print(json.dumps({"items": len(items), **{k: round(float(np.mean(v)), 3) for k, v in scores.items()}}))


if __name__ == "__main__":
    main()

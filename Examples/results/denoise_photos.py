"""Scores exported plug-and-play denoisers as denoisers on photographs outside the test set.

    deblur export-onnx MODEL -o model.onnx          # for every model to compare
    python denoise_photos.py a.onnx b.onnx [--threads 2]

A quick proxy for how good a prior of photographs a denoiser is, without running the whole
deblurring benchmark: 18 fixed crops of scikit-image's images that Docs/Results.md does not
test on (stereo_motorcycle's left view, cell, page, text; gray), Gaussian noise of σ = 5,
15, 25 and 50 / 255 (the levels plug-and-play walks down), fixed seeds. Prints one line per
model: its mean PSNR (dB) at each σ. Needs numpy, scikit-image and onnxruntime; `--bm3d`
adds a line for BM3D given the true σ (the `bm3d` package from PyPI; ~6 min on 2 cores), the
classical reference of Docs/CNN.md.
"""
import argparse
import json
import warnings

import numpy as np
import onnxruntime as ort
import skimage.data as data
from skimage.color import rgb2gray

SIGMAS = [5, 15, 25, 50]


def crops():
    warnings.filterwarnings("ignore")
    images = {"motorcycle": rgb2gray(data.stereo_motorcycle()[0]), "cell": data.cell() / 255.0,
              "page": data.page() / 255.0, "text": data.text() / 255.0}
    rng = np.random.default_rng(5)
    out = []
    for image in images.values():
        image = image.astype(np.float32)
        side, count = (256, 6) if min(image.shape) >= 256 else (160, 3)
        for _ in range(count):
            y = rng.integers(0, image.shape[0] - side + 1)
            x = rng.integers(0, image.shape[1] - side + 1)
            out.append(image[y:y + side, x:x + side].copy())
    noise = {s: [rng.standard_normal(c.shape).astype(np.float32) for c in out] for s in SIGMAS}
    return out, noise


def psnr(out, clean):
    return 10 * np.log10(1 / np.mean((out - clean) ** 2))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="*", help="ONNX files written by deblur export-onnx (denoisers)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bm3d", action="store_true", help="also score BM3D (pip install bm3d)")
    a = p.parse_args()
    clean, noise = crops()
    if a.bm3d:
        import bm3d
        scores = {}
        for sigma in SIGMAS:
            outs = [np.clip(bm3d.bm3d(c + sigma / 255 * n, sigma / 255), 0, 1) for c, n in zip(clean, noise[sigma])]
            scores[f"sigma_{sigma}"] = round(float(np.mean([psnr(o, c) for o, c in zip(outs, clean)])), 3)
        print(json.dumps({"model": "bm3d", **scores}))
    options = ort.SessionOptions()
    options.intra_op_num_threads = a.threads
    for path in a.models:
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        scores = {}
        for sigma in SIGMAS:
            psnrs = []
            for c, n in zip(clean, noise[sigma]):
                noisy = (c + sigma / 255 * n)[None, None]
                # A blind denoiser has no noise plane; a non-blind one gets σ everywhere.
                feeds = {name: noisy if name == "estimate" else np.full_like(noisy, sigma / 255) for name in names}
                out = np.clip(session.run(None, feeds)[0][0, 0], 0, 1)
                psnrs.append(psnr(out, c))
            scores[f"sigma_{sigma}"] = round(float(np.mean(psnrs)), 3)
        print(json.dumps({"model": path, **scores}))


if __name__ == "__main__":
    main()

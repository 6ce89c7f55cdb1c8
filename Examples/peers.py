#!/usr/bin/env python3
"""Reference numbers from the peers that DeblurKit is measured against.
A copy of the team's shared tools/peers.py, kept here so that the commands in Docs/ run from a clone.

Set-up, once per machine (nothing of this is a dependency of the project):
    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install scikit-image tifffile onnxruntime
Then run it with that interpreter:
    /tmp/peers/bin/python Examples/peers.py metrics REF.tif IMG.tif
    /tmp/peers/bin/python Examples/peers.py bench --size 1024 --psf 15 --iterations 30
    /tmp/peers/bin/python Examples/peers.py onnx MODEL.onnx IN.tif OUT.tif

metrics: scikit-image's MSE, PSNR (data_range 1) and SSIM with the settings of
         Wang et al. 2004 (gaussian_weights, sigma 1.5, use_sample_covariance False,
         data_range 1), averaged over channels for color, as one JSON line. Files are
         read as DeblurKit reads them: alpha dropped, a TIFF's first page, channels last
         (Tests/References/peers_load_check.py checks it).
bench:   scikit-image's richardson_lucy, wiener and structural_similarity timed on
         random data of the given size (best of --repeat runs), as JSON lines.
onnx:    runs an ONNX model with one input with onnxruntime (2 threads) on a 1-channel
         float TIFF (N,1,H,W input), writes the output TIFF, and prints its time.
"""
import argparse, json, sys, time


def load(path):
    import numpy as np, tifffile
    from skimage import io
    if path.lower().endswith((".tif", ".tiff")):
        # As DeblurKit reads a TIFF: its first page (tifffile.imread stacks every page), channels
        # last (a planar RGB page comes as (3, y, x)), extra samples such as alpha dropped.
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            img = np.asarray(page.asarray())
            samples = page.samplesperpixel
            if samples > 1 and img.ndim == 3 and page.planarconfig == tifffile.PLANARCONFIG.SEPARATE:
                img = np.moveaxis(img, 0, -1)
            colors = samples - len(page.extrasamples or ())
            if samples > 1 and colors < samples:
                img = img[..., 0] if colors == 1 else img[..., :colors]
    else:
        img = np.asarray(io.imread(path))
        # Alpha is dropped, as DeblurKit drops it: gray+alpha is gray, RGBA is RGB.
        if img.ndim == 3 and img.shape[-1] in (2, 4):
            img = img[..., 0] if img.shape[-1] == 2 else img[..., :3]
    # As DeblurKit reads integer files: k / 255 (or 65535) in Float32 (Docs/FileFormats.md), so
    # the metrics see the same samples; a float64 division differs in the 8th digit.
    if img.dtype == np.uint8:
        img = img.astype(np.float32) / np.float32(255)
    elif img.dtype == np.uint16:
        img = img.astype(np.float32) / np.float32(65535)
    return img.astype(np.float64)


def cmd_metrics(a):
    from skimage import metrics
    ref, img = load(a.reference), load(a.image)
    if ref.shape != img.shape:
        sys.exit(f"shapes differ: {ref.shape} vs {img.shape}")
    channel_axis = -1 if ref.ndim == 3 else None
    ssim = metrics.structural_similarity(ref, img, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                         use_sample_covariance=False, channel_axis=channel_axis)
    print(json.dumps({"mse": metrics.mean_squared_error(ref, img),
                      "psnr": metrics.peak_signal_noise_ratio(ref, img, data_range=1.0),
                      "ssim": ssim}))


def best_of(f, repeat):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter(); f(); best = min(best, time.perf_counter() - t)
    return best


def cmd_bench(a):
    import numpy as np
    from scipy.signal import fftconvolve
    from skimage import restoration, metrics
    rng = np.random.default_rng(0)
    img = rng.random((a.size, a.size)).astype(np.float32)
    psf = np.ones((a.psf, a.psf), np.float32) / a.psf ** 2
    blurred = fftconvolve(img, psf, mode="same").astype(np.float32)
    t = best_of(lambda: restoration.richardson_lucy(blurred, psf, num_iter=a.iterations), a.repeat)
    print(json.dumps({"peer": "skimage", "case": "rl", "size": a.size, "psf": a.psf,
                      "iterations": a.iterations, "ms_per_iter": 1e3 * t / a.iterations}))
    t = best_of(lambda: restoration.wiener(blurred, psf, balance=0.01), a.repeat)
    print(json.dumps({"peer": "skimage", "case": "wiener", "size": a.size, "psf": a.psf, "ms": 1e3 * t}))
    t = best_of(lambda: metrics.structural_similarity(img, blurred, data_range=1.0, gaussian_weights=True,
                                                      sigma=1.5, use_sample_covariance=False), a.repeat)
    print(json.dumps({"peer": "skimage", "case": "ssim", "size": a.size, "ms": 1e3 * t}))


def cmd_onnx(a):
    import numpy as np, onnxruntime as ort, tifffile
    x = tifffile.imread(a.input).astype(np.float32)
    x = x.reshape(1, 1, *x.shape[-2:])
    so = ort.SessionOptions(); so.intra_op_num_threads = 2
    s = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in s.get_inputs()]
    if len(names) != 1:
        # deblur's exports have a plane per input (estimate, noise, blurred) unless trained with
        # --inputs estimate; their samples directory feeds them all.
        sys.exit(f"{a.model} has {len(names)} inputs ({', '.join(names)}); this command feeds one. "
                 f"For deblur export-onnx --samples DIR use Examples/onnx/verify.py {a.model} DIR")
    name = names[0]
    s.run(None, {name: x})
    t = time.perf_counter(); y = s.run(None, {name: x})[0]; t = time.perf_counter() - t
    tifffile.imwrite(a.output, y.reshape(y.shape[-2:]).astype(np.float32))
    print(json.dumps({"peer": "onnxruntime", "case": "inference", "shape": list(x.shape), "ms": 1e3 * t}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("metrics"); m.add_argument("reference"); m.add_argument("image")
    b = sub.add_parser("bench")
    b.add_argument("--size", type=int, default=1024); b.add_argument("--psf", type=int, default=15)
    b.add_argument("--iterations", type=int, default=30); b.add_argument("--repeat", type=int, default=2)
    o = sub.add_parser("onnx"); o.add_argument("model"); o.add_argument("input"); o.add_argument("output")
    a = p.parse_args()
    {"metrics": cmd_metrics, "bench": cmd_bench, "onnx": cmd_onnx}[a.cmd](a)


if __name__ == "__main__":
    main()

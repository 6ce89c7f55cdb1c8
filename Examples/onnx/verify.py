#!/usr/bin/env python3
"""Checks that onnxruntime computes the same network as deblur on an exported model (refiner or denoiser).

    deblur export-onnx MODEL -o model.onnx --samples samples/
    /tmp/peers/bin/python Examples/onnx/verify.py model.onnx samples/ [--tolerance 1e-4]

Reads samples/<input name>.tif for every graph input (float TIFF, one page per channel,
batch 1), runs the graph with onnxruntime (2 threads), and compares with samples/output.tif
(deblur's own output). Prints one JSON line; exits 1 when the largest difference exceeds
the tolerance. Also runs onnx.checker on the graph.
"""
import argparse, json, os, sys, time
import numpy as np
import onnx
import onnxruntime as ort
import tifffile


def planes(path):
    x = tifffile.imread(path).astype(np.float32)
    if x.ndim == 2:
        x = x[None]
    return x[None]  # 1 x C x H x W


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model"); p.add_argument("samples")
    p.add_argument("--tolerance", type=float, default=1e-4)
    a = p.parse_args()
    onnx.checker.check_model(onnx.load(a.model))
    so = ort.SessionOptions(); so.intra_op_num_threads = 2
    s = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    feeds = {i.name: planes(os.path.join(a.samples, i.name + ".tif")) for i in s.get_inputs()}
    t = time.perf_counter(); y = s.run(None, feeds)[0]; t = time.perf_counter() - t
    expected = planes(os.path.join(a.samples, "output.tif"))
    diff = float(np.max(np.abs(y - expected)))
    ok = diff <= a.tolerance
    print(json.dumps({"inputs": sorted(feeds), "shape": list(y.shape), "max_abs_diff": diff,
                      "tolerance": a.tolerance, "ok": ok, "onnxruntime_ms": 1e3 * t}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Regenerates the onnxruntime numbers committed in ONNXExportTests.swift, and the SHA-256 of
the exported file they were computed from (the test checks the export still writes those bytes).

Run the test once with DEBLURKIT_KEEP_TEST_FILES=1 (it then keeps
$TMPDIR/deblurkit-refinement-tests-UUID/onnx/{tiny.onnx,input.f32} and prints that directory), then:
    /tmp/peers/bin/python Tests/RefinementReference/onnx_reference.py DIR
"""
import hashlib
import sys
import numpy as np
import onnx
import onnxruntime as ort

d = sys.argv[1]
onnx.checker.check_model(onnx.load(d + "/tiny.onnx"))
x = np.fromfile(d + "/input.f32", dtype="<f4").reshape(1, 3, 16, 12)
s = ort.InferenceSession(d + "/tiny.onnx", providers=["CPUExecutionProvider"])
y = s.run(None, {"estimate": x[:, 0:1], "blurred": x[:, 1:2], "noise": x[:, 2:3]})[0].reshape(-1)
print("[" + ", ".join(repr(float(y[i])) for i in [0, 7, 50, 101, 191]) + "]")
print(hashlib.sha256(open(d + "/tiny.onnx", "rb").read()).hexdigest())

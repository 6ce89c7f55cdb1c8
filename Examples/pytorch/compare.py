#!/usr/bin/env python3
"""PyTorch CPU baseline for DeblurKit's refiner: the same residual U-Net, timed the same way.

Builds the architecture of `deblur bench`'s `train` case (or of a model file's header with
--model), runs training steps on batches of 16 random 64x64 patches (L1 loss, Adam) and one
512x512 forward pass, with 2 intra-op threads, and prints JSON lines comparable to
`deblur bench --json --cases train,infer`. With --onnx it also times onnxruntime (2 threads)
on an exported graph.

    /tmp/peers/bin/pip install torch            # once (CPU is enough)
    swift build -c release
    .build/release/deblur bench --json --cases sgemm,train,infer
    /tmp/peers/bin/python Examples/pytorch/compare.py [--model M.model] [--onnx model.onnx]
"""
import argparse, json, struct, time


def read_header(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"DBKMODEL", "not a DeblurKit model file"
    n = struct.unpack("<I", data[12:16])[0]
    return json.loads(data[16:16 + n])


def build(torch, width=32, depth=2, convs=2, inputs=3, slope=0.0):
    nn = torch.nn

    def act():
        return nn.ReLU() if slope == 0 else nn.LeakyReLU(slope)

    def block(cin, cout):
        layers = []
        for j in range(convs):
            layers += [nn.Conv2d(cin if j == 0 else cout, cout, 3, padding=1), act()]
        return nn.Sequential(*layers)

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.ModuleList()
            c = inputs
            for l in range(depth):
                self.enc.append(block(c, width << l)); c = width << l
            self.bottleneck = block(c, width << depth)
            self.up = nn.ModuleList([nn.ConvTranspose2d(width << (l + 1), width << l, 2, stride=2) for l in range(depth)])
            self.dec = nn.ModuleList([block(2 * (width << l), width << l) for l in range(depth)])
            self.head = nn.Conv2d(width if depth > 0 else width << depth, 1, 1)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            skips, h = [], x
            for l in range(depth):
                h = self.enc[l](h); skips.append(h); h = self.pool(h)
            h = self.bottleneck(h)
            for l in reversed(range(depth)):
                h = self.dec[l](torch.cat([self.up[l](h), skips[l]], 1))
            return x[:, 0:1] + self.head(h)

    return UNet()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="take the architecture from a DeblurKit model file")
    p.add_argument("--onnx", help="also time onnxruntime on this exported graph (512x512)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    arch = {"width": 32, "depth": 2, "convolutionsPerLevel": 2, "inputs": ["estimate", "blurred", "noise"], "leakySlope": 0}
    if a.model:
        arch = read_header(a.model)["architecture"]
    cin = len(arch["inputs"])
    net = build(torch, arch["width"], arch["depth"], arch["convolutionsPerLevel"], cin, arch["leakySlope"])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(16, cin, 64, 64); y = torch.rand(16, 1, 64, 64)

    def step():
        opt.zero_grad(set_to_none=False)
        loss = torch.nn.functional.l1_loss(net(x), y)
        loss.backward(); opt.step()

    step()
    best = float("inf")
    for _ in range(a.repeats):
        t = time.perf_counter()
        for _ in range(a.steps):
            step()
        best = min(best, (time.perf_counter() - t) / a.steps)
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "case": "train", "batch": 16, "patch": 64,
                      "patches_per_s": 16 / best, "ms_per_step": 1e3 * best, "threads": a.threads}))
    net.eval()
    z = torch.rand(1, cin, 512, 512)
    with torch.no_grad():
        net(z)
        best = float("inf")
        for _ in range(a.repeats):
            t = time.perf_counter(); net(z); best = min(best, time.perf_counter() - t)
    print(json.dumps({"peer": "pytorch", "case": "infer", "size": 512, "ms": 1e3 * best, "threads": a.threads}))
    if a.onnx:
        import numpy as np, onnxruntime as ort
        so = ort.SessionOptions(); so.intra_op_num_threads = a.threads
        s = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
        feeds = {i.name: np.random.default_rng(0).random((1, 1, 512, 512), dtype=np.float32) for i in s.get_inputs()}
        s.run(None, feeds)
        best = float("inf")
        for _ in range(a.repeats):
            t = time.perf_counter(); s.run(None, feeds); best = min(best, time.perf_counter() - t)
        print(json.dumps({"peer": "onnxruntime", "case": "infer", "size": 512, "ms": 1e3 * best, "threads": a.threads}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cross-checks files written by DeblurKit against other readers (Pillow, tifffile).

Usage (release or debug build of `deblur`, peers interpreter):
    /tmp/peers/bin/python Tests/DeblurIOTests/Fixtures/crosscheck_written.py .build/release/deblur

It converts the committed fixtures with `deblur convert` to every written format and depth,
reads the results with Pillow/tifffile and compares the samples with the fixture formulas
of make_fixtures.py. Prints one line per file and exits 1 on any mismatch.
"""
import os, subprocess, sys, tempfile
import numpy as np
import tifffile
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def f16(c, y, x): return (7919 * x + 104729 * y + 15485863 * c + 12345) % 65536


def main(deblur):
    source = np.array([[[f16(c, y, x) for c in range(3)] for x in range(35)] for y in range(40)], dtype=np.float64) / 65535
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, depth in [("a.png", 8), ("b.png", 16), ("c.tif", 8), ("d.tif", 16), ("e.tif", 32)]:
            out = os.path.join(tmp, name)
            subprocess.run([deblur, "convert", os.path.join(HERE, "tiled_rgb16.tif"), out, "--bit-depth", str(depth)],
                           check=True, stdout=subprocess.DEVNULL)
            if name.endswith(".tif"):
                got = tifffile.imread(out)
            elif depth == 16:
                # Pillow has no 16-bit RGB mode: decode the PNG rows ourselves via its raw reader.
                got = read_png16_rgb(out)
            else:
                got = np.array(Image.open(out))
            if depth == 32:
                expected = source.astype(np.float32)
            else:
                scale = 255 if depth == 8 else 65535
                # The exact product of the Float32 sample (FileFormats.md), not a Float32 product.
                expected = np.floor(source.astype(np.float32).astype(np.float64) * scale + 0.5).astype(got.dtype)
            ok = got.shape == expected.shape and got.dtype == expected.dtype and np.array_equal(got, expected)
            failures += not ok
            print(f"{name}: {got.dtype} {got.shape} {'matches' if ok else 'DIFFERS'}")
    sys.exit(1 if failures else 0)


def read_png16_rgb(path):
    import struct, zlib
    data = open(path, "rb").read()
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, bits, color = struct.unpack(">IIBB", body[:10])
            assert bits == 16 and color == 2, (bits, color)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * 6
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 6] if i >= 6 else 0
            b = previous[i]
            c = previous[i - 6] if i >= 6 else 0
            if kind == 1: line[i] = (line[i] + a) & 255
            elif kind == 2: line[i] = (line[i] + b) & 255
            elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); previous = line
    return np.frombuffer(b"".join(rows), dtype=">u2").reshape(height, width, 3).astype(np.uint16)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".build/release/deblur")

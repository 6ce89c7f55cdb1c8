"""Builds the crop montage of Docs/Results.md from an evaluate.sh output folder: for a few
items, the same 96×96 crop of the sharp image, the blurred image and each method's result,
with each panel's PSNR. Usage: python montage.py RESULTS/sigma-0.01 OUT.png [ITEM ...]"""
import csv
import sys
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, ImageDraw

if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if sys.argv[1:2] in (["-h"], ["--help"]) else 2)
root, out = Path(sys.argv[1]), Path(sys.argv[2])
items = sys.argv[3:] or None
COLUMNS = [("sharp", None), ("blurred", "blurred"), ("Wiener (tuned)", "wiener"),
           ("hyper-Laplacian (tuned)", "hyper-laplacian"), ("CNN (plug-and-play)", "cnn")]
CROP, SCALE, LABEL = 96, 2, 18

scores = {}
with open(root / "results.csv") as f:
    for row in csv.DictReader(f):
        scores[(row["item"], row["method"])] = float(row["psnr"]) if row["psnr"] else float("inf")
if items is None:
    # The items where the CNN gains most over the tuned hyper-Laplacian, and the least.
    ids = sorted({i for i, m in scores if m == "cnn"}, key=lambda i: scores[(i, "cnn")] - scores[(i, "hyper-laplacian")])
    items = [ids[-1], ids[len(ids) // 2], ids[0]]


def read(path):
    a = tifffile.imread(path) if path.suffix == ".tif" else np.asarray(Image.open(path), dtype=np.float32) / 255
    return np.squeeze(a).astype(np.float32)


def crop_origin(sharp):
    # The most detailed window: largest gradient energy on a coarse grid.
    gy, gx = np.gradient(sharp)
    energy = gx ** 2 + gy ** 2
    best, origin = -1, (0, 0)
    for y in range(0, sharp.shape[0] - CROP + 1, 16):
        for x in range(0, sharp.shape[1] - CROP + 1, 16):
            e = energy[y:y + CROP, x:x + CROP].sum()
            if e > best:
                best, origin = e, (y, x)
    return origin


side = CROP * SCALE
sheet = Image.new("L", (side * len(COLUMNS), (side + LABEL) * len(items)), 255)
draw = ImageDraw.Draw(sheet)
for r, item in enumerate(items):
    sharp = read(root / "dataset" / "sharp" / f"{item}.png")
    y, x = crop_origin(sharp)
    for c, (title, method) in enumerate(COLUMNS):
        if method is None:
            image = sharp
        elif method == "blurred":
            image = read(root / "dataset" / "blurred" / f"{item}.tif")
        else:
            image = read(root / "restored" / method / f"{item}.tif")
        panel = np.clip(image[y:y + CROP, x:x + CROP], 0, 1)
        tile = Image.fromarray((panel * 255 + 0.5).astype(np.uint8)).resize((side, side), Image.NEAREST)
        top = r * (side + LABEL)
        sheet.paste(tile, (c * side, top + LABEL))
        label = title if method is None else f"{title} {scores[(item, method)]:.2f} dB"
        draw.text((c * side + 4, top + 3), f"{item}: {label}" if c == 0 else label, fill=0)
sheet.save(out)
print(f"wrote {out}: items {', '.join(items)}")

"""The Wiener filter that knows the sharp image's power spectrum: how much any method can gain
over the automatic Wiener filter on a stochastic texture (Docs/Results.md, "By photograph").

    deblur compare DATASET --methods "wiener:nsr=auto,cnn" --json REPORT.json
    python oracle_wiener.py DATASET REPORT.json

For each item of the report: argmin ‖M(k ⊛ x − y)‖² + N σ² Σ |X_f|² / |S_f|², S the spectrum of
the sharp image reflected over the extended domain, solved as texture_stage.py's Wiener inverse
(masked conjugate gradients, α = 1, the dataset's true σ). For a stationary Gaussian texture of
that spectrum it is the minimum-mean-square-error estimate: no method can beat it on average,
learned or not. It needs the sharp image, so it is a bound to read other scores against, not a
method. Prints a JSON line per item, then PSNR (dB) by photograph (`source`) and overall, with
the report's methods beside it. For measuring only: never a dependency of the toolkit.
"""
import argparse
import json
import os
from collections import defaultdict

import numpy as np

from pnp_reference import Data, read
from texture_stage import psnr, wiener_inverse


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset")
    p.add_argument("report", help="a `deblur compare --json` report of DATASET: the items it scored are scored")
    a = p.parse_args()
    report = json.load(open(a.report))
    scored = {i["id"]: {r["method"]: r["psnr"] for r in i["results"] if r["error"] is None}
              for i in report["items"] if i["failure"] is None}
    items = [json.loads(line) for line in open(os.path.join(a.dataset, "items.jsonl"))]
    rows = []
    for item in items:
        if item["id"] not in scored:
            continue
        y = read(os.path.join(a.dataset, item["blurred"]))
        psf = read(os.path.join(a.dataset, item["psf"]))
        psf /= psf.sum()
        sharp = read(os.path.join(a.dataset, item["sharp"]))
        data = Data(y, psf)
        pad = ((data.top, data.ph - data.h - data.top), (data.left, data.pw - data.w - data.left))
        spectrum = np.pad(sharp, pad, mode="symmetric")
        oracle = data.window(wiener_inverse(data, spectrum, item["noise_sigma"], 1.0, iterations=300, tolerance=1e-5))
        row = {"id": item["id"], "source": item.get("source", "?"), "oracle wiener": psnr(oracle, sharp),
               **scored[item["id"]]}
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
    if not rows:
        raise SystemExit(f"oracle_wiener.py: no item of {a.report} is in {a.dataset}")
    methods = ["oracle wiener"] + [m for m in report["methods"] if all(m in r for r in rows)]
    groups = defaultdict(list)
    for row in rows:
        groups[row["source"]].append(row)
    groups["all"] = rows
    print("\n| photograph | items | " + " | ".join(methods) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in methods) + " |")
    for source, group in groups.items():
        means = [np.mean([r[m] for r in group]) for m in methods]
        print(f"| {source} | {len(group)} | " + " | ".join(f"{v:.2f}" for v in means) + " |")


if __name__ == "__main__":
    main()

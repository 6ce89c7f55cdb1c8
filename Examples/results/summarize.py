"""Prints the noise-level tables of Docs/Results.md from an evaluate.sh output folder:
mean PSNR / SSIM per method and σ, and the `cnn` row's margins over a reference method
(default wiener:nsr=auto, the automatic Wiener) and over the best tuned classical method, and
the same margins by photograph when the items name theirs (by_source).
Usage: python summarize.py RESULTS [REFERENCE]"""
import json
import sys
from pathlib import Path

CLASSICAL = ["wiener", "tikhonov", "rl", "rl-tv", "hyper-laplacian"]


def best_tuned(overall):
    """The tuned classical method with the best mean PSNR over all items."""
    return max((m for m in CLASSICAL if m in overall), key=lambda m: overall[m]["psnr"]["mean"])


if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if sys.argv[1:2] in (["-h"], ["--help"]) else 2)
root = Path(sys.argv[1])
runs = sorted(root.glob("sigma-*/results.json"), key=lambda p: float(p.parent.name.split("-", 1)[1]))
if not runs:
    sys.exit(f"summarize.py: no sigma-*/results.json under {root}")
tables = []
for path in runs:
    report = json.loads(path.read_text())
    sigma = float(path.parent.name.split("-", 1)[1])
    overall = {s["method"]: s for s in report["aggregates"]["overall"]}
    tuned = {t["method"]: t["chosen"] for t in report["tuning"]}
    tables.append((sigma, overall, tuned, len(report["items"]), report))

methods = list(tables[0][1].keys())
print("Mean PSNR (dB) / SSIM on the scored items; tuned values in brackets.\n")
print("| method | " + " | ".join(f"σ = {100 * s:g} %" for s, *_ in tables) + " |")
print("| --- | " + " | ".join("---:" for _ in tables) + " |")
for m in methods:
    cells = []
    for _, overall, tuned, _, _ in tables:
        s = overall[m]
        note = f" [{tuned[m]}]" if m in tuned else ""
        cells.append(f"{s['psnr']['mean']:.2f} / {s['ssim']['mean']:.3f}{note}")
    print(f"| {m} | " + " | ".join(cells) + " |")

# The reference: an untuned row of evaluate.sh, `<name>:<key>=<value>` (default the automatic
# Wiener, the base of the U-Net refiner and the classical method a user runs untuned).
base = sys.argv[2] if len(sys.argv) > 2 else "wiener:nsr=auto"
print(f"\nThe cnn row against {base} and the best tuned classical method:\n")
print(f"| σ | items | cnn − {base} (dB) | best tuned classical | cnn − best (dB) | cnn − best (SSIM) | cnn wins vs best (items) |")
print("| ---: | ---: | ---: | --- | ---: | ---: | ---: |")
for sigma, overall, _, count, report in tables:
    cnn = overall["cnn"]
    best = best_tuned(overall)
    index = {m: i for i, m in enumerate(report["methods"])}
    wins = sum(1 for item in report["items"]
               if item["results"][index["cnn"]]["psnr"] is not None and item["results"][index[best]]["psnr"] is not None
               and item["results"][index["cnn"]]["psnr"] > item["results"][index[best]]["psnr"])
    print(f"| {100 * sigma:g} % | {count} | {cnn['psnr']['mean'] - overall[base]['psnr']['mean']:+.2f} | {best} | "
          f"{cnn['psnr']['mean'] - overall[best]['psnr']['mean']:+.2f} | {cnn['ssim']['mean'] - overall[best]['ssim']['mean']:+.3f} | {wins} / {count} |")

# By photograph (the reports' by_source: datasets made by `synth --images` since 2026-11-28, or
# resumed since, name each item's photograph), weakest margin over the reference first.
for sigma, overall, _, count, report in tables:
    groups = report["aggregates"].get("by_source") or {}
    if not groups:
        continue
    best = best_tuned(overall)
    print(f"\nBy photograph at σ = {100 * sigma:g} %, PSNR (dB):\n")
    print(f"| photograph | items | {base} | {best} (tuned) | cnn | cnn − {base} | cnn − {best} (PSNR / SSIM) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    for name, summaries in groups.items():
        s = {x["method"]: x for x in summaries}
        if any(s.get(m, {}).get("count", 0) == 0 for m in ("cnn", base, best)):
            continue
        margin = s["cnn"]["psnr"]["mean"] - s[base]["psnr"]["mean"]
        rows.append((margin, name, s))
    for margin, name, s in sorted(rows, key=lambda r: (r[0], r[1])):
        print(f"| {Path(name).stem} | {s['cnn']['count']} | {s[base]['psnr']['mean']:.2f} | {s[best]['psnr']['mean']:.2f} | "
              f"{s['cnn']['psnr']['mean']:.2f} | {margin:+.2f} | {s['cnn']['psnr']['mean'] - s[best]['psnr']['mean']:+.2f} / "
              f"{s['cnn']['ssim']['mean'] - s[best]['ssim']['mean']:+.3f} |")

#!/usr/bin/env bash
# A research pipeline with the command-line tool alone: a dataset, every classical method tuned
# fairly on a validation split, and the reports. Run from the repository root after
# `swift build -c release`; writes into ./pipeline-out (or $1).
set -euo pipefail
deblur=${DEBLUR:-.build/release/deblur}
out=${1:-pipeline-out}
mkdir -p "$out"

# 40 dead-leaves items, fresh camera-shake kernels, noise between 0.5 % and 3 %, valid boundaries.
"$deblur" synth --out "$out/data" --dead-leaves 40 --size 192 --trajectories 25 \
  --noise-sigma 0.005:0.03 --boundary valid --seed 1

# One item by hand: deconvolve, then score against its sharp image.
"$deblur" deconvolve "$out/data/blurred/000000.tif" --psf "$out/data/psf/000000.tif" \
  --method rl --iterations 40 --trace "$out/rl-trace.csv" -o "$out/rl-000000.tif"
"$deblur" metrics "$out/data/sharp/000000.png" "$out/rl-000000.tif" --json

# Everything side by side, each method's free parameter tuned on 20 % of the items.
methods=blurred,wiener:nsr=auto,tikhonov,rl,rl-tv,hyper-laplacian
[ -n "${MODEL:-}" ] && methods="$methods,cnn:model=$MODEL"
"$deblur" compare "$out/data" --methods "$methods" --tune \
  --report "$out/report.md" --csv "$out/results.csv" --json "$out/results.json" --html "$out/report.html"
echo "open $out/report.html"

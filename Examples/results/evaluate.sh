#!/bin/sh
# Reproduces the tables of Docs/Results.md: natural photographs (scikit-image's samples, used
# only for measuring), blurred with the bank's 24 trajectory kernels (never seen in training:
# the shipped denoiser sees no blur, a refiner trains on fresh random trajectories), valid
# boundaries, gray, at four noise levels; every classical method tuned on a validation split
# (compare --tune) against the shipped CNN.
#
#   swift build -c release
#   python3 -m venv /tmp/peers && /tmp/peers/bin/pip install scikit-image pillow tifffile
#   PYTHON=/tmp/peers/bin/python sh Examples/results/evaluate.sh /tmp/results
#
# Writes OUT/sigma-<σ>/{report.md,report.html,results.json,results.csv} and prints each table.
set -eu
out=${1:?usage: evaluate.sh OUTPUT_DIR}
deblur=${DEBLUR:-.build/release/deblur}
python=${PYTHON:-python3}
count=${COUNT:-48}
here=$(dirname "$0")

mkdir -p "$out/kernels"
[ -d "$out/photos" ] || "$python" "$here/export_samples.py" "$out/photos"
cp Kernels/tif/trajectory-*.tif "$out/kernels/"

# wiener:nsr=auto (the refiner's base) and hyper-laplacian:lambda=auto (λ tied to the
# estimated noise level, the strongest untuned method) are kept untuned; the bare names are tuned.
# EXTRA_METHODS (comma-separated specs, e.g. cnn:model=refiner.model) adds untuned rows.
methods=blurred,wiener,wiener:nsr=auto,tikhonov,rl,rl-tv,hyper-laplacian,hyper-laplacian:lambda=auto,cnn${EXTRA_METHODS:+,$EXTRA_METHODS}
for sigma in ${SIGMAS:-0.005 0.01 0.02 0.03}; do
    d="$out/sigma-$sigma"
    "$deblur" synth --out "$d/dataset" --images "$out/photos" --count "$count" --size 256 \
        --kernels "$out/kernels" --noise-sigma "$sigma" --seed 7 --quiet
    "$deblur" compare "$d/dataset" --methods "$methods" --tune --quiet \
        --report "$d/report.md" --html "$d/report.html" --json "$d/results.json" --csv "$d/results.csv" \
        --save-restored "$d/restored" > "$d/table.md"
    cat "$d/table.md"
done

#!/bin/sh
# Regenerates Docs/Evaluation-report.png: synthesizes a small dataset from the kernel bank,
# compares the classical methods on it, and photographs the HTML report with headless
# Chromium (Debian's package). Run from the package root after `swift build -c release`.
set -eu
deblur=$PWD/.build/release/deblur
picture=$PWD/Docs/Evaluation-report.png
out=$(mktemp -d)
# From inside the scratch folder, so the report names the dataset `evalds`, not a temporary path.
cd "$out"
"$deblur" synth --out evalds --count 12 --size 160 --kernels bank --noise-sigma 0.01 --seed 11 --quiet
"$deblur" compare evalds --methods blurred,wiener:nsr=auto,tikhonov,rl:iterations=30,rl-tv,hyper-laplacian \
    --crop 10 --html report.html --quiet
chromium --headless --no-sandbox --hide-scrollbars --window-size=1280,2300 \
    --screenshot="$picture" "file://$out/report.html" 2>/dev/null
echo "wrote $picture (report in $out)"

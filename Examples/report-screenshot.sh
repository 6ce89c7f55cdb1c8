#!/bin/sh
# Regenerates Docs/Evaluation-report.png: synthesizes a small dataset from the kernel bank,
# compares the classical methods on it, and photographs the HTML report with headless
# Chromium (Debian's package). Run from the package root after `swift build -c release`.
set -eu
deblur=.build/release/deblur
out=$(mktemp -d)
"$deblur" synth --out "$out/dataset" --count 12 --size 160 --kernels bank --noise-sigma 0.01 --seed 11
"$deblur" compare "$out/dataset" --methods blurred,wiener:nsr=auto,tikhonov,rl:iterations=30,rl-tv,hyper-laplacian \
    --crop 10 --html "$out/report.html" --quiet
chromium --headless --no-sandbox --hide-scrollbars --window-size=1280,2300 \
    --screenshot="$PWD/Docs/Evaluation-report.png" "file://$out/report.html"
echo "wrote Docs/Evaluation-report.png (report in $out)"

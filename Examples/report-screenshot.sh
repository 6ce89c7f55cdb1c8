#!/bin/sh
# Regenerates Docs/Evaluation-report.png: runs Examples/CustomMethod (Landweber, Wiener and
# Richardson–Lucy on a small synthetic dataset) and photographs its HTML report with
# headless Chromium. Run from the package root.
set -eu
out=$(mktemp -d)
swift run -c release CustomMethod "$out"
chromium --headless --no-sandbox --hide-scrollbars --window-size=1280,2600 \
    --screenshot="$PWD/Docs/Evaluation-report.png" "file://$out/report.html"
echo "wrote Docs/Evaluation-report.png (report in $out)"

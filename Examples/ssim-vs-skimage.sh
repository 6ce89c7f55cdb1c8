#!/bin/sh
# Times DeblurKit's SSIM and scikit-image's structural_similarity on a 1024² gray pair in
# the same run and prints the ratio. Run from the package root after `swift build -c release`;
# needs the peers interpreter (/tmp/peers/bin/python with scikit-image) and peers.py
# (PEERS=path, default Examples/peers.py).
set -eu
size=${1:-1024}
ours=$(.build/release/deblur bench --json --cases ssim --sizes "$size" --repeats 10)
peer=$(/tmp/peers/bin/python "${PEERS:-Examples/peers.py}" bench --size "$size" --repeat 3 | grep '"ssim"')
echo "$ours"
echo "$peer"
/tmp/peers/bin/python -c '
import json, sys
ours, peer = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("ssim %d²: DeblurKit %.1f ms (1 thread %.1f ms), scikit-image %.1f ms, ratio %.1f×"
      % (ours["size"], ours["ms"], ours["ms_1_thread"], peer["ms"], peer["ms"] / ours["ms"]))
' "$ours" "$peer"

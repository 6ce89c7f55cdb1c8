#!/bin/sh
# PSNR / SSIM of every classical method and boundary mode on a `valid`-protocol observation of
# scikit-image's `camera` (512², values /255): motion PSF length 15 at 30°, Gaussian σ = 0.005,
# the reference being the matching centre crop. Prints one JSON line per run.
#
#   swift build -c release && sh Tests/References/valid_protocol_cli.sh
#
# Needs the peers interpreter (/tmp/peers/bin/python with scikit-image and tifffile) to write
# the scene and the centre crop; everything else is `deblur`.
set -e
B=${DEBLUR:-.build/release/deblur}
D=${OUT:-/tmp/deblurkit-valid-protocol}
PY=${PYTHON:-/tmp/peers/bin/python}
mkdir -p "$D"
$PY -c "from skimage import data; import numpy as np, tifffile; tifffile.imwrite('$D/scene.tif', data.camera().astype(np.float32) / 255)"
$B psf motion --length 15 --angle 30 -o "$D/psf.tif" > /dev/null
$B blur "$D/scene.tif" --psf "$D/psf.tif" --boundary valid --noise-sigma 0.005 --seed 3 -o "$D/blurred.tif" > /dev/null
$PY -c "
import tifffile
b = tifffile.imread('$D/blurred.tif'); s = tifffile.imread('$D/scene.tif')
oy, ox = (s.shape[0] - b.shape[0]) // 2, (s.shape[1] - b.shape[1]) // 2
tifffile.imwrite('$D/sharp.tif', s[oy:oy + b.shape[0], ox:ox + b.shape[1]])"
$PY Examples/peers.py metrics "$D/sharp.tif" "$D/blurred.tif" | sed 's/^/blurred: /'
for method in "wiener --nsr 0.01" "wiener --nsr auto" "tikhonov" "hyper-laplacian" "hyper-laplacian --alpha 1" "rl" "rl-tv"; do
  for boundary in circular reflect taper masked; do
    $B deconvolve "$D/blurred.tif" --psf "$D/psf.tif" --method $method --boundary $boundary \
       --reference "$D/sharp.tif" -o "$D/out.tif" --json --quiet
  done
done

"""The peer of `deblur bench --cases collaborative-wiener`: BM3D's collaborative Wiener stage
in the `bm3d` package (Dabov et al. 2007; `bm3d.bm3d(noisy, σ, stage_arg=pilot)`), timed on
the bench case's scene (the same pilot formula, noise σ = 0.02), best of 3, on 1 and 2 threads.

    /tmp/peers/bin/pip install bm3d
    /tmp/peers/bin/python Examples/results/collaborative_peer.py 256 512

For measuring only: never a dependency of the toolkit.
"""
import sys
import time

import numpy as np
import bm3d


def main():
    for size in [int(a) for a in sys.argv[1:]] or [256, 512]:
        y, x = np.mgrid[0:size, 0:size].astype(np.float64)
        pilot = 0.5 + 0.25 * np.sin(x * 0.31 + y * 0.17) + 0.15 * np.sin(x * y * 0.001)
        noisy = pilot + np.random.default_rng(size).normal(0, 0.02, pilot.shape)
        for threads in (1, 2):
            profile = bm3d.BM3DProfile()
            profile.num_threads = threads
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                bm3d.bm3d(noisy, 0.02, profile=profile, stage_arg=pilot)
                best = min(best, time.perf_counter() - start)
            print(f"case=bm3d-wiener-stage  size={size}  threads={threads}  ms={best * 1e3:.1f}")


if __name__ == "__main__":
    main()

import DeblurCore

// Naive spatial-domain references for the restoration tests. They share no code with the
// FFT implementation: direct sums over the kernel, written for clarity, on small images.

/// Circular convolution `(k ⊛ x)(y, x) = Σ k(i, j) x(y − i + cy, x − j + cx)` (periodic).
func naiveCircularConvolve(_ image: Image, _ psf: PSF) -> Image {
    let h = image.height, w = image.width, cy = psf.centerY, cx = psf.centerX
    return Image(channels: image.channels, height: h, width: w) { c, y, x in
        var s: Double = 0
        for i in 0..<psf.height {
            for j in 0..<psf.width {
                let sy = ((y - i + cy) % h + h) % h, sx = ((x - j + cx) % w + w) % w
                s += Double(psf[i, j]) * Double(image[c, sy, sx])
            }
        }
        return Float(s)
    }
}

/// Circular correlation, the adjoint of `naiveCircularConvolve`.
func naiveCircularCorrelate(_ image: Image, _ psf: PSF) -> Image {
    let h = image.height, w = image.width, cy = psf.centerY, cx = psf.centerX
    return Image(channels: image.channels, height: h, width: w) { c, y, x in
        var s: Double = 0
        for i in 0..<psf.height {
            for j in 0..<psf.width {
                let sy = ((y + i - cy) % h + h) % h, sx = ((x + j - cx) % w + w) % w
                s += Double(psf[i, j]) * Double(image[c, sy, sx])
            }
        }
        return Float(s)
    }
}

/// The valid part of the convolution of `scene` by `psf`: smaller by the PSF size − 1
/// (the `valid` dataset protocol; MATLAB `conv2(x, k, 'valid')`).
func naiveValidConvolve(_ scene: Image, _ psf: PSF) -> Image {
    let h = scene.height - psf.height + 1, w = scene.width - psf.width + 1
    return Image(channels: scene.channels, height: h, width: w) { c, y, x in
        var s: Double = 0
        for i in 0..<psf.height {
            for j in 0..<psf.width {
                s += Double(psf[i, j]) * Double(scene[c, y + psf.height - 1 - i, x + psf.width - 1 - j])
            }
        }
        return Float(s)
    }
}

/// Textbook RL on circular data, all in the spatial domain: x ← x · Hᵀ(y / Hx).
func naiveRichardsonLucy(_ observed: Image, _ psf: PSF, iterations: Int, start: Image) -> Image {
    var x = start
    for _ in 0..<iterations {
        let reblurred = naiveCircularConvolve(x, psf)
        var ratio = observed
        for i in ratio.pixels.indices { ratio.pixels[i] = observed.pixels[i] / reblurred.pixels[i] }
        let correction = naiveCircularCorrelate(ratio, psf)
        for i in x.pixels.indices { x.pixels[i] *= correction.pixels[i] }
    }
    return x
}

/// A small asymmetric PSF built by hand (so a flipped kernel would be caught).
func asymmetricPSF() -> PSF {
    let k: [Float] = [0.0, 0.1, 0.3,
                      0.1, 1.0, 0.2,
                      0.4, 0.0, 0.1,
                      0.05, 0.2, 0.0,
                      0.0, 0.1, 0.0]
    return try! PSF(Image(height: 5, width: 3, pixels: k))
}

/// A 3×3 PSF whose OTF stays far from zero (centre-heavy): `|H| ≥ 0.2` everywhere.
func invertiblePSF() -> PSF {
    let k: [Float] = [0.02, 0.05, 0.03,
                      0.06, 0.70, 0.04,
                      0.03, 0.05, 0.02]
    return try! PSF(Image(height: 3, width: 3, pixels: k))
}

/// A box PSF of `size × size`.
func boxPSF(_ size: Int) -> PSF {
    try! PSF(Image(height: size, width: size, value: 1))
}

/// A piecewise-smooth test scene with edges (rectangles and discs on a ramp), in [0.1, 0.9],
/// drawn from `seed`.
func testScene(height: Int, width: Int, seed: UInt64) -> Image {
    var rng = SeededRandom(seed: seed)
    var image = Image(height: height, width: width) { _, y, x in 0.3 + 0.2 * Float(x + y) / Float(height + width) }
    for _ in 0..<12 {
        let cy = rng.uniformFloat() * Float(height), cx = rng.uniformFloat() * Float(width)
        let r = 2 + rng.uniformFloat() * Float(min(height, width)) / 4
        let value = 0.1 + 0.8 * rng.uniformFloat()
        let disc = rng.uniformFloat() < 0.5
        for y in 0..<height {
            for x in 0..<width {
                let dy = Float(y) - cy, dx = Float(x) - cx
                let inside = disc ? dy * dy + dx * dx < r * r : abs(dy) < r && abs(dx) < r * 0.7
                if inside { image[y, x] = value }
            }
        }
    }
    return image
}

func psnr(_ a: Image, _ b: Image) -> Double {
    var s = 0.0
    for i in a.pixels.indices { let d = Double(a.pixels[i] - b.pixels[i]); s += d * d }
    let mse = s / Double(a.count)
    return 10 * log10(1 / max(mse, 1e-20))
}

import Foundation

import DeblurCore
import Foundation

extension PSF {
    /// Linear motion blur: the anti-aliased one-pixel-wide line of MATLAB's
    /// `fspecial('motion', length, angleDegrees)`, value for value.
    ///
    /// Construction (the one MATLAB's code uses, not the one-line description in its
    /// documentation): with `half = (L − 1)/2`, `φ = mod(θ, 180)·π/180`, a one-quadrant grid
    /// `x = 0, sign(cos φ), …, fix(half·cos φ + sign(cos φ) − L·ε)`, `y = 0 … fix(half·sin φ + 1 − L·ε)`
    /// gets the perpendicular distance to the line `d = y·cos φ − x·sin φ`; points past the end
    /// point (`√(x² + y²) ≥ half`, `|d| ≤ 1`) use the distance to the end point instead,
    /// `√(d² + (half − |(x + d·sin φ)/cos φ|)²)`; the weight is `max(0, 1 + ε − |d|)`. The
    /// quadrant is mirrored through the centre, normalized, and flipped up–down when
    /// `cos φ > 0` (image rows grow downwards, so a positive angle is counter-clockwise).
    ///
    /// Examples: `(9, 0°)` is 1 × 9 of 1/9; `(10, 0°)` is 1 × 11 with end taps 0.05;
    /// `(3, 45°)` is `[0 .0754 .1883; .0754 .3215 .0754; .1883 .0754 0]`.
    ///
    /// - Parameters:
    ///   - length: line length in pixels, ≥ 1 (MATLAB clamps smaller values to 1; here they are an error).
    ///   - angleDegrees: counter-clockwise angle from the x axis in degrees, any finite value.
    /// - Throws: `DeconvolutionError.invalidParameter` for a length below 1, NaN or infinite
    ///   values, or a length above 10 000 pixels.
    /// - Complexity: O(L²).
    /// - Reference: MATLAB Image Processing Toolbox, `fspecial` ('motion').
    public static func motion(length: Double, angleDegrees: Double) throws -> PSF {
        guard length.isFinite, length >= 1, length <= 10_000 else {
            throw DeconvolutionError.invalidParameter(name: "motion length", value: "\(length)", expected: "a finite length in pixels between 1 and 10000")
        }
        guard angleDegrees.isFinite else {
            throw DeconvolutionError.invalidParameter(name: "motion angle", value: "\(angleDegrees)", expected: "a finite angle in degrees")
        }
        let eps = Double.ulpOfOne  // MATLAB's eps
        let len = length
        let half = (len - 1) / 2
        var wrapped = fmod(angleDegrees, 180)  // MATLAB's mod: result takes the divisor's sign
        if wrapped < 0 { wrapped += 180 }
        let phi = wrapped / 180 * Double.pi
        let cosphi = cos(phi), sinphi = sin(phi)
        let xsign: Double = cosphi > 0 ? 1 : (cosphi < 0 ? -1 : 0)
        let lineWidth = 1.0
        let sx = (half * cosphi + lineWidth * xsign - len * eps).rounded(.towardZero)
        let sy = (half * sinphi + lineWidth - len * eps).rounded(.towardZero)
        // `0:xsign:sx` in MATLAB: empty when the step is 0 (cos φ is never exactly 0 for
        // φ in [0, π), so this only guards the arithmetic).
        let columns = xsign == 0 ? 1 : Int(abs(sx)) + 1
        let rows = Int(sy) + 1
        var quadrant = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            let y = Double(r)
            for c in 0..<columns {
                let x = Double(c) * xsign
                var distance = y * cosphi - x * sinphi
                let radius = (x * x + y * y).squareRoot()
                if radius >= half && abs(distance) <= lineWidth {
                    let pastEnd = half - abs((x + distance * sinphi) / cosphi)
                    distance = (distance * distance + pastEnd * pastEnd).squareRoot()
                }
                quadrant[r * columns + c] = max(0, lineWidth + eps - abs(distance))
            }
        }
        // Unfold: rot90(quadrant, 2) in the top-left, quadrant in the bottom-right, sharing the centre.
        let height = 2 * rows - 1, width = 2 * columns - 1
        var full = [Double](repeating: 0, count: height * width)
        for r in 0..<rows {
            for c in 0..<columns {
                full[(rows - 1 - r) * width + (columns - 1 - c)] = quadrant[r * columns + c]
                full[(rows - 1 + r) * width + (columns - 1 + c)] = quadrant[r * columns + c]
            }
        }
        let total = full.reduce(0, +) + eps * len * len
        var kernel = Image(height: height, width: width)
        for r in 0..<height {
            let sourceRow = cosphi > 0 ? height - 1 - r : r
            for c in 0..<width { kernel[r, c] = Float(full[sourceRow * width + c] / total) }
        }
        return try PSF(kernel, source: "motion(length: \(length), angle: \(angleDegrees)°)")
    }
}

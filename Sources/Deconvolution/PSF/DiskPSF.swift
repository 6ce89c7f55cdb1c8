import DeblurCore
import Foundation

extension PSF {
    /// A defocus (pillbox) kernel: each pixel weighted by the area of the pixel square inside
    /// the disk of radius `r` centred on the middle pixel, normalized to sum 1 — MATLAB's
    /// `fspecial('disk', radius)`, including its analytic partial-pixel areas.
    ///
    /// The kernel is `(2·⌈r − 0.5⌉ + 1)` pixels square. Along the boundary each square's
    /// covered area is the circular segment between the two points where the circle crosses
    /// the square: integrating over the minor coordinate `u ∈ [m − ½, m + ½]` the covered
    /// length along the major one gives
    /// `r²(½(asin(m₂/r) − asin(m₁/r)) + ¼(sin 2asin(m₂/r) − sin 2asin(m₁/r))) − (M − ½)(m₂ − m₁) + (m₁ − m + ½)`
    /// (with `M`, `m` the larger and smaller of `|x|`, `|y|` and `m₁ ≤ m₂` the limits of the
    /// arc inside the square), as MATLAB computes it.
    ///
    /// - Parameter radius: disk radius in pixels, > 0 (0.5 or less gives the identity).
    /// - Throws: `DeconvolutionError.invalidParameter` for a radius ≤ 0, NaN, or above 2000.
    /// - Reference: MATLAB Image Processing Toolbox, `fspecial` ('disk').
    public static func disk(radius: Double) throws -> PSF {
        guard radius.isFinite, radius > 0, radius <= 2000 else {
            throw DeconvolutionError.invalidParameter(name: "disk radius", value: "\(radius)", expected: "a finite radius in pixels in (0, 2000]")
        }
        let rad = radius, rad2 = radius * radius
        let crad = Int((rad - 0.5).rounded(.up))
        let side = 2 * crad + 1
        // A radius of 0.5 or less is the 1×1 identity whatever the areas: computed, a radius
        // below about 1e-154 squared to 0 and gave 0 / 0 ("it contains -nan").
        if side == 1 { return try PSF(Image(height: 1, width: 1, pixels: [1]), source: "disk(radius: \(radius))") }
        var grid = [Double](repeating: 0, count: side * side)
        @inline(__always) func at(_ row: Int, _ col: Int) -> Int { row * side + col }  // 0-based
        for row in 0..<side {
            for col in 0..<side {
                let ax = Double(abs(col - crad)), ay = Double(abs(row - crad))
                let maxxy = max(ax, ay), minxy = min(ax, ay)
                let ring = (rad2 < (maxxy + 0.5) * (maxxy + 0.5) + (minxy + 0.5) * (minxy + 0.5)
                            && rad2 > (maxxy - 0.5) * (maxxy - 0.5) + (minxy - 0.5) * (minxy - 0.5))
                    || (minxy == 0 && maxxy - 0.5 < rad && maxxy + 0.5 >= rad)
                var value = 0.0
                if ring {
                    // MATLAB multiplies by the mask; compute only where it is true, so no
                    // complex intermediate values arise.
                    let m1 = rad2 < (maxxy + 0.5) * (maxxy + 0.5) + (minxy - 0.5) * (minxy - 0.5)
                        ? minxy - 0.5 : (rad2 - (maxxy + 0.5) * (maxxy + 0.5)).squareRoot()
                    let m2 = rad2 > (maxxy - 0.5) * (maxxy - 0.5) + (minxy + 0.5) * (minxy + 0.5)
                        ? minxy + 0.5 : (rad2 - (maxxy - 0.5) * (maxxy - 0.5)).squareRoot()
                    let a1 = asin(m1 / rad), a2 = asin(m2 / rad)
                    value = rad2 * (0.5 * (a2 - a1) + 0.25 * (sin(2 * a2) - sin(2 * a1)))
                        - (maxxy - 0.5) * (m2 - m1) + (m1 - minxy + 0.5)
                }
                if (maxxy + 0.5) * (maxxy + 0.5) + (minxy + 0.5) * (minxy + 0.5) < rad2 { value += 1 }
                grid[at(row, col)] = value
            }
        }
        grid[at(crad, crad)] = min(Double.pi * rad2, Double.pi / 2)
        let cradD = Double(crad)
        if crad > 0 && rad > cradD - 0.5 && rad2 < (cradD - 0.5) * (cradD - 0.5) + 0.25 {
            // The circle clips the four axis end pixels only slightly: MATLAB moves that sliver
            // from the next-inner pixel to the end pixel. The sliver is the circular segment
            // beyond x = crad − ½: r²·asin(m₁/r) − m₁·(crad − ½), written as MATLAB writes it.
            let m1 = (rad2 - (cradD - 0.5) * (cradD - 0.5)).squareRoot()
            let m1n = m1 / rad
            let sg0 = 2 * (rad2 * (0.5 * asin(m1n) + 0.25 * sin(2 * asin(m1n))) - m1 * (cradD - 0.5))
            let last = 2 * crad
            grid[at(last, crad)] = sg0
            grid[at(crad, last)] = sg0
            grid[at(crad, 0)] = sg0
            grid[at(0, crad)] = sg0
            grid[at(last - 1, crad)] -= sg0
            grid[at(crad, last - 1)] -= sg0
            grid[at(crad, 1)] -= sg0
            grid[at(1, crad)] -= sg0
        }
        grid[at(crad, crad)] = min(grid[at(crad, crad)], 1)
        let total = grid.reduce(0, +)
        let kernel = Image(height: side, width: side, pixels: grid.map { Float(max(0, $0) / total) })
        return try PSF(kernel, source: "disk(radius: \(radius))")
    }
}

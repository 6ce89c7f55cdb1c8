import DeblurCore
@testable import Refinement

/// A reproducible tensor with entries uniform in [lo, hi).
func randomTensor(_ n: Int, _ c: Int, _ h: Int, _ w: Int, seed: UInt64, lo: Float = -1, hi: Float = 1) -> Tensor {
    var rng = SeededRandom(seed: seed)
    return Tensor(batch: n, channels: c, height: h, width: w, data: (0..<(n * c * h * w)).map { _ in lo + (hi - lo) * rng.uniformFloat() })
}

func randomVector(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { _ in scale * (2 * rng.uniformFloat() - 1) }
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var s = 0.0
    for i in a.indices { s += Double(a[i]) * Double(b[i]) }
    return s
}

/// Largest relative error between analytic and central-difference derivatives of `f` at the
/// given coordinates of `x`: |a − n| / max(|a|, |n|, floor).
func finiteDifferenceError(_ x: [Float], coordinates: [Int], step: Float, floor: Double = 1e-3,
                           analytic: [Float], _ f: ([Float]) -> Double) -> Double {
    var worst = 0.0
    for i in coordinates {
        var plus = x, minus = x
        plus[i] += step; minus[i] -= step
        let numeric = (f(plus) - f(minus)) / (Double(plus[i]) - Double(minus[i]))
        let a = Double(analytic[i])
        worst = max(worst, abs(a - numeric) / max(abs(a), abs(numeric), floor))
    }
    return worst
}

func sampleCoordinates(_ count: Int, take: Int, seed: UInt64) -> [Int] {
    var rng = SeededRandom(seed: seed)
    return (0..<min(take, count)).map { _ in rng.integer(below: count) }
}

/// Relative error between the analytic directional derivative ⟨∇f, d⟩ and the central
/// difference of `f` along `direction` d: one number for all coordinates at once, so rounding
/// and kinks, which spoil single coordinates' differences, average out.
func directionalDerivativeError(_ x: [Float], direction: [Float], step: Float, analytic: [Float], _ f: ([Float]) -> Double) -> Double {
    let plus = zip(x, direction).map { $0 + step * $1 }, minus = zip(x, direction).map { $0 - step * $1 }
    let numeric = (f(plus) - f(minus)) / (2 * Double(step))
    let exact = dot(analytic, direction)
    return abs(exact - numeric) / max(abs(exact), abs(numeric), 1e-12)
}

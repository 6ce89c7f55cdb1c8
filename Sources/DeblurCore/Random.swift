#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one random number generator of DeblurKit: xoshiro256** (Blackman & Vigna 2018),
/// seeded through SplitMix64.
///
/// Every random draw in the toolkit comes from a `SeededRandom` made from an explicit seed,
/// and the streams are part of the file formats' reproducibility promise: the same
/// `(seed, stream)` gives the same sequence on every platform and release. Tests pin the
/// first values; changing this type's arithmetic is a breaking change.
///
/// `stream` separates independent sequences under one seed, e.g. one per dataset item, so an
/// item's randomness depends on `(seed, item index)` alone, whatever the shard split.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    @usableFromInline var spareGaussian: Double?

    /// A generator for `seed`, sub-stream `stream` (default 0).
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = SplitMix64(state: seed)
        // Fold the stream in through a second SplitMix64 round so that nearby
        // (seed, stream) pairs give unrelated states.
        var streamMixer = SplitMix64(state: mixer.next() ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = streamMixer.next(); s1 = streamMixer.next(); s2 = streamMixer.next(); s3 = streamMixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }  // the all-zero state is a fixed point
        spareGaussian = nil
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inlinable func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lo, hi).
    @inlinable
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// Uniform in [0, 1) as Float with 24 random bits.
    @inlinable
    public mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// An integer uniform in `0..<bound` (Lemire's unbiased multiply-shift); a bound below 1 is a
    /// precondition failure.
    public mutating func integer(below bound: Int) -> Int {
        precondition(bound > 0, "integer(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A standard normal draw (Box–Muller; the second value of each pair is kept for the next call).
    public mutating func gaussian() -> Double {
        if let g = spareGaussian { spareGaussian = nil; return g }
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareGaussian = r * sin(theta)
        return r * cos(theta)
    }

    /// A normal draw with the given mean and standard deviation.
    public mutating func gaussian(mean: Double, sigma: Double) -> Double { mean + sigma * gaussian() }

    /// A Poisson draw with mean `lambda ≥ 0`: Knuth's product method below 10, above it the
    /// transformed rejection PTRS of Hörmann (1993), as NumPy does. Means past
    /// `poissonMeanLimit` (NumPy's bound) are a precondition failure: the count would not fit an `Int`.
    public mutating func poisson(_ lambda: Double) -> Int {
        precondition(lambda >= 0 && lambda <= Self.poissonMeanLimit,
                     "poisson needs a finite mean from 0 to \(Self.poissonMeanLimit), got \(lambda)")
        if lambda == 0 { return 0 }
        if lambda < 10 {
            let limit = exp(-lambda)
            var k = 0
            var product = uniform()
            while product > limit { k += 1; product *= uniform() }
            return k
        }
        let slam = lambda.squareRoot(), loglam = log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = floor((2 * a / us + b) * u + lambda + 0.43)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs: Double = log(v) + log(invAlpha) - log(a / (us * us) + b)
            let rhs: Double = -lambda + k * loglam - lgamma(k + 1)
            if lhs <= rhs { return Int(k) }
        }
    }

    /// The largest mean `poisson` draws from, `Int.max − 10 √Int.max` (NumPy's `POISSON_LAM_MAX`):
    /// a count drawn from a larger one (1e300 passed the finite check) trapped converting to `Int`.
    public static let poissonMeanLimit = Double(Int.max) - 10 * Double(Int.max).squareRoot()

    /// A fresh generator for sub-stream `stream`, drawn from this one (advances this one).
    public mutating func split(stream: UInt64 = 0) -> SeededRandom {
        SeededRandom(seed: next(), stream: stream)
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014), used only to expand seeds.
@usableFromInline
struct SplitMix64 {
    @usableFromInline var state: UInt64
    @usableFromInline init(state: UInt64) { self.state = state }
    @usableFromInline mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

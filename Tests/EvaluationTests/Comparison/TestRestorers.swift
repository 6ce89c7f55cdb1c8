import DeblurCore
import Foundation
@testable import Evaluation

/// Test methods with known outputs, so scores are analytic.

/// Returns `blurred − shift`: on items built by `offsetItem` (blurred = sharp + 0.1) its
/// error is the constant `0.1 − shift`, so MSE = (0.1 − shift)².
struct Subtract: Restorer {
    var shift: Float
    var name: String { "subtract(\(shift))" }
    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        var out = blurred
        out.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] -= shift } }
        return out
    }
}

/// Iterative: estimate k of n is `blurred − shift · k / n`, reported to the observer.
struct IterativeSubtract: Restorer {
    var shift: Float
    var iterations: Int
    var name: String { "iterative" }
    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        var estimate = blurred
        for k in 1...iterations {
            estimate = try Subtract(shift: shift * Float(k) / Float(iterations)).restore(blurred, psf: psf)
            if let observer, !observer(IterationState(iteration: k, relativeChange: 0, elapsed: 0, estimate: estimate)) { break }
        }
        return estimate
    }
}

struct TestFailure: Error, CustomStringConvertible { var description: String }

/// Throws on images of the given width, else passes through.
struct FailsOnWidth: Restorer {
    var width: Int
    var name: String { "fails" }
    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        if blurred.width == width { throw TestFailure(description: "cannot handle width \(width)") }
        return blurred
    }
}

/// Returns an image one column narrower.
struct WrongSize: Restorer {
    var name: String { "wrong-size" }
    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        blurred.cropped(top: 0, left: 0, height: blurred.height, width: blurred.width - 1)
    }
}

/// An item whose blurred image is `sharp + 0.1` (sharp random in [0.2, 0.7)).
func offsetItem(_ id: String, width: Int = 24, kernel: String? = nil, noise: Double? = nil, seed: UInt64) -> ComparisonItem {
    var rng = SeededRandom(seed: seed)
    let sharp = Image(channels: 1, height: 20, width: width) { _, _, _ in 0.2 + 0.5 * rng.uniformFloat() }
    var blurred = sharp
    blurred.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] += 0.1 } }
    return ComparisonItem(id: id, kernel: kernel, noiseSigma: noise, sharp: sharp, blurred: blurred, psf: .identity)
}

/// A factory of `blurred`, `subtract:shift=X` and `iterative:shift=X`; `subtract` tunes `shift`.
let testFactory = MethodFactory(make: { spec in
    switch spec.name {
    case "blurred": return Passthrough()
    case "subtract", "iterative":
        guard let text = spec["shift"] ?? Optional("0.05"), let shift = Float(text) else {
            throw EvaluationError.invalidMethodSpec(spec: spec.description, reason: "shift must be a number")
        }
        return spec.name == "subtract" ? Subtract(shift: shift) : IterativeSubtract(shift: shift, iterations: 5)
    default: throw EvaluationError.invalidMethodSpec(spec: spec.description, reason: "unknown method")
    }
}, tuningGrid: { name in name == "subtract" ? ("shift", ["0", "0.05", "0.08", "0.2"]) : nil })

/// Returns an image full of NaN, as a diverged iteration would.
struct Diverges: Restorer {
    var name: String { "diverges" }
    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        Image(channels: blurred.channels, height: blurred.height, width: blurred.width, value: .nan)
    }
}

/// Restores a color image channel by channel as the classical methods do, each channel's
/// iterations numbered from 1: channel c's iterate k is the blurred channel less
/// `shifts[c] · k / iterations[c]`, and channel c stops after `iterations[c]` (a tolerance).
struct ChannelwiseIterative: Restorer {
    var shifts: [Float]
    var iterations: [Int]
    var name: String { "channelwise" }
    static func iterate(_ blurred: Image, channel c: Int, shift: Float, step k: Int, of n: Int) -> Image {
        var plane = blurred.channel(c)
        plane.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] -= shift * Float(k) / Float(n) } }
        return plane
    }
    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        var out = blurred
        for c in 0..<blurred.channels {
            var plane = blurred.channel(c)
            for k in 1...iterations[c] {
                plane = Self.iterate(blurred, channel: c, shift: shifts[c], step: k, of: iterations[c])
                if let observer, !observer(IterationState(iteration: k, relativeChange: 0, elapsed: 0, estimate: plane)) { break }
            }
            for y in 0..<plane.height { for x in 0..<plane.width { out[c, y, x] = plane[0, y, x] } }
        }
        return out
    }
}

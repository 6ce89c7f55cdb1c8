/// What an iterative method reports after each iteration, for traces and stopping rules.
public struct IterationState: Sendable {
    /// 1-based iteration number.
    public var iteration: Int
    /// `‖xₖ − xₖ₋₁‖ / ‖xₖ₋₁‖` (0 when not defined).
    public var relativeChange: Double
    /// Seconds since the method started.
    public var elapsed: Double
    /// The current estimate, cropped to the output geometry.
    public var estimate: Image

    public init(iteration: Int, relativeChange: Double, elapsed: Double, estimate: Image) {
        self.iteration = iteration
        self.relativeChange = relativeChange
        self.elapsed = elapsed
        self.estimate = estimate
    }
}

extension IterationState {
    /// `‖current − previous‖ / ‖previous‖` over `count` samples (0 when `previous` is all
    /// zero): the `relativeChange` every iterative method reports.
    public static func relativeChange(_ current: UnsafePointer<Float>, from previous: UnsafePointer<Float>, count: Int) -> Double {
        var changeSquared = 0.0, oldSquared = 0.0
        for i in 0..<count {
            let d = Double(current[i] - previous[i])
            changeSquared += d * d
            oldSquared += Double(previous[i]) * Double(previous[i])
        }
        return oldSquared > 0 ? (changeSquared / oldSquared).squareRoot() : 0
    }
}

/// Called after each iteration of an iterative restorer. Return `false` to stop early.
public typealias IterationObserver = (IterationState) -> Bool

/// A deblurring method: a value configured by its parameters, applied to a blurred image
/// and its PSF. The comparison runner, the CLI and the CNN's base method all go through it.
///
/// Color images are restored channel by channel unless a method says otherwise. The output
/// has the blurred image's size and channel count.
public protocol Restorer: Sendable {
    /// A short label for reports, with the parameters that matter (`"wiener(nsr=0.01)"`).
    var name: String { get }

    /// Restores `blurred`, reporting each iteration to `observer` when the method is iterative.
    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image

    /// Throws for settings `restore` would refuse whatever the image (an iteration count of 0,
    /// a negative λ), so that a comparison can refuse a method before any item runs. The
    /// default accepts everything.
    func checkSettings() throws
}

extension Restorer {
    public func checkSettings() throws {}

    /// Restores `blurred` without observing iterations.
    public func restore(_ blurred: Image, psf: PSF) throws -> Image {
        try restore(blurred, psf: psf, observer: nil)
    }
}

/// The identity method: returns the blurred image (the `blurred` row of a comparison).
public struct Passthrough: Restorer {
    public init() {}
    public var name: String { "blurred" }
    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image { blurred }
}

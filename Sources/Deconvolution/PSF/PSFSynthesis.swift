import DeblurCore

// API CONTRACT (stub): the synthesis helper replaces these bodies and may split them into
// one file per kernel kind; the signatures are relied on by other modules.

/// Parameters of the Boracchi & Foi (2012) camera-shake trajectory model.
public struct TrajectoryParameters: Sendable, Equatable, Codable {
    /// Canvas the random walk lives on (pixels).
    public var canvas: Int = 64
    /// Samples of the random walk.
    public var samples: Int = 2000
    /// Maximum trajectory length (pixels).
    public var maxLength: Double = 60
    /// Anxiety; nil draws 0.1·U(0, 1) per trajectory.
    public var anxiety: Double? = nil
    /// Fraction of the trajectory integrated by the exposure.
    public var exposure: Double = 1
    public init() {}
}

extension PSF {
    /// MATLAB's `fspecial('motion', length, angle)`.
    public static func motion(length: Double, angleDegrees: Double) throws -> PSF {
        throw DeconvolutionError.invalidInput("PSF.motion not implemented yet")
    }

    /// A random camera-shake PSF of `size × size` (odd), deterministic for `seed`.
    public static func trajectory(size: Int, seed: UInt64, parameters: TrajectoryParameters = .init()) throws -> PSF {
        throw DeconvolutionError.invalidInput("PSF.trajectory not implemented yet")
    }

    /// MATLAB's `fspecial('disk', radius)`.
    public static func disk(radius: Double) throws -> PSF {
        throw DeconvolutionError.invalidInput("PSF.disk not implemented yet")
    }

    /// A Gaussian of standard deviation `sigma`, size defaulting to 2·⌈3σ⌉ + 1.
    public static func gaussian(sigma: Double, size: Int? = nil) throws -> PSF {
        throw DeconvolutionError.invalidInput("PSF.gaussian not implemented yet")
    }
}

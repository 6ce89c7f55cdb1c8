import DeblurCore
import Foundation

/// Peak signal-to-noise ratio in decibels.
///
/// `PSNR = 10 · log₁₀(R² / MSE)` with the data range `R` given explicitly (never guessed
/// from the data). Identical images give `+∞`.
///
/// - Parameters:
///   - reference: the ground truth, values nominally in [0, R].
///   - image: the image scored; same geometry.
///   - dataRange: `R`, the span of valid values (default 1 for [0, 1] float data; 8- and
///     16-bit files are mapped to [0, 1] when read, so 1 is right for them too).
/// - Returns: PSNR in dB, `+∞` when the MSE is 0.
/// - Throws: `EvaluationError.sizeMismatch`, `.imageTooSmall`, or `.invalidValue` for a
///   data range outside `dataRangeLimits` (1e-30…1e30) or NaN or infinite samples (as `mse`).
///
/// MATLAB `psnr(X, Y, R)`; scikit-image `metrics.peak_signal_noise_ratio(x, y, data_range=R)`.
public func psnr(_ reference: Image, _ image: Image, dataRange: Double = 1) throws -> Double {
    try checkDataRange(dataRange)
    return psnr(mse: try mse(reference, image), dataRange: dataRange)
}

/// PSNR in dB from an MSE: `10 · log₁₀(R² / MSE)`, `+∞` when the MSE is 0.
public func psnr(mse: Double, dataRange: Double = 1) -> Double {
    mse == 0 ? .infinity : 10 * log10(dataRange * dataRange / mse)
}

/// The data ranges scored: within them R², SSIM's constants `C1 = (0.01 R)²`, `C2 = (0.03 R)²`
/// and their products stay finite and nonzero in double precision (R = 1e308 made C1 infinite,
/// an SSIM of NaN and a PSNR of +∞; R = 1e-320 squared to 0).
public let dataRangeLimits: ClosedRange<Double> = 1e-30...1e30

/// `dataRangeLimits` as every message about a data range writes it: "1e-30 to 1e30" (`%g`,
/// without the exponent's `+`), so that no message can name other bounds than those checked.
public let dataRangeLimitsText = [dataRangeLimits.lowerBound, dataRangeLimits.upperBound]
    .map { String(format: "%g", $0).replacingOccurrences(of: "e+", with: "e") }
    .joined(separator: " to ")

func checkDataRange(_ dataRange: Double) throws {
    guard dataRangeLimits.contains(dataRange) else {
        throw EvaluationError.invalidValue(name: "data range", value: String(dataRange), expected: "a number from \(dataRangeLimitsText)")
    }
}

import DeblurCore
import DeblurIO
import Deconvolution

/// One generated dataset item, in memory: what `deblur synth` writes to disk, and what a
/// trainer can use directly as a training pair.
public struct SyntheticItem: Sendable {
    /// Item index in the dataset (its randomness is `SeededRandom(seed:, stream: index)`).
    public let index: Int
    /// Six-digit id, `000017`.
    public let id: String
    /// The sharp image (on the 8- or 16-bit grid of `sharpBits`, exactly what `sharp/ID.png` stores).
    public var sharp: Image
    /// The blurred, noisy image, the size of `sharp`.
    public var blurred: Image
    /// The PSF that blurred it.
    public var psf: PSF
    /// The kernel's name: `trajectory-<seed>` (reproduced by `deblur psf trajectory --seed`) or the kernel file's name.
    public var kernelName: String
    /// The noise that was added.
    public var noise: NoiseModel

    /// Relative file paths of this item inside a dataset directory.
    public static func paths(id: String, quantizeBits: Int?) -> (sharp: String, blurred: String, psf: String) {
        ("sharp/\(id).png", quantizeBits == nil ? "blurred/\(id).tif" : "blurred/\(id).png", "psf/\(id).tif")
    }

    /// The item's six-digit id.
    public static func id(index: Int) -> String {
        let digits = String(index)
        return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
    }
}

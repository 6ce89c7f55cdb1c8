import DeblurCore
import DeblurIO
import Deconvolution

/// One generated dataset item, in memory: what `deblur synth` writes to disk, and what a
/// trainer can use directly as a training pair.
public struct SyntheticItem: Sendable {
    /// Item index in the dataset (its randomness is `SeededRandom(seed:, stream: index)`).
    public let index: Int
    /// Zero-padded id, `000017`: six digits, more when the dataset has over a million items,
    /// so that ids sort in index order.
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

    /// The id of item `index` in a dataset of `count` items: zero-padded to six digits, or to
    /// the digits of `count − 1` when that is longer (readers order items by id as text).
    public static func id(index: Int, count: Int = 0) -> String {
        let digits = String(index)
        let width = max(6, String(max(0, count - 1)).count)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

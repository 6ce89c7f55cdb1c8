import DeblurCore

/// Runs a refiner network over an image of any size in overlapping tiles, with memory
/// bounded by the tile size, and with exactly the untiled result.
///
/// The image is extended by `margin` samples on every side (mirror-symmetric `reflect`
/// padding, `numpy.pad(mode="symmetric")`) and up to a multiple of `2^depth`. Each tile's
/// network input is its core plus `margin` on every side; only the core is kept. Because
/// `margin` is at least the network's receptive-field radius and tiles start on the pooling grid,
/// each kept sample sees exactly the inputs it sees in one whole-image pass: tiled output
/// equals untiled output (up to float summation order, ≪ 1e-5).
///
/// Memory: the input planes, the output, and one tile's activations
/// (`(tile + 2·margin)² · width · ~10` floats), whatever the image size.
public struct TiledInference: Sendable {
    /// Core tile side in pixels (rounded up to a multiple of `2^depth`; default 256).
    public var tile: Int
    /// Overlap on each side; nil uses the network's receptive-field radius, rounded up. A larger
    /// one is used as that: it cannot change a kept sample, only the time and memory (a margin of
    /// 2⁴⁰ overflowed the tile's size and trapped).
    public var margin: Int?

    /// Takes any values, as the fields do: a tile below 1 or a negative margin is refused by
    /// `checkSettings`, which `Refiner` and `PlugAndPlayRestorer` call before they run (this
    /// trapped on a tile of 0 from a caller's flag, while the same value set on the field threw).
    public init(tile: Int = 256, margin: Int? = nil) {
        self.tile = tile; self.margin = margin
    }

    /// Throws `RefinementError.invalidSetting` for a tile below 1 or a negative margin, as the
    /// fields may have been set after `init`: `run` never advanced past a tile of 0 (it looped
    /// forever) and trapped on a margin of −100. The restorers that tile check it before running.
    public func checkSettings() throws {
        guard tile >= 1 else { throw RefinementError.invalidSetting(name: "tile", value: "\(tile)", expected: "an integer ≥ 1") }
        if let margin, margin < 0 { throw RefinementError.invalidSetting(name: "tile margin", value: "\(margin)", expected: "an integer ≥ 0") }
    }

    /// One whole-image pass (a tile larger than any image).
    public static let untiled = TiledInference(tile: Int.max / 4)

    /// The receptive-field radius of `network` in input pixels: the farthest output sample one
    /// input sample reaches, over every position on the pooling grid. A 3 × 3 convolution at
    /// level l reaches 2^l pixels: c (2^d − 1) in the encoder, c 2^d in the bottleneck and
    /// c (2^d − 1) in the decoder. Pooling a level and upsampling it back widens the reach by at
    /// most one pixel of that level, 2^l, on one side: 2^d − 1 in all (23 px for the shipped
    /// network, depth 2 with 2 convolutions per level). Until 2026-11-28 that term was counted
    /// three times and one pooling cell added on top (36 px of margin instead of 24).
    public static func receptiveRadius(of network: UNet) -> Int {
        let a = network.architecture
        let reach = a.sizeMultiple - 1
        return a.convolutionsPerLevel * (3 * reach + 1) + reach
    }

    /// The margin actually used: the receptive radius, or the given one if smaller, rounded up
    /// to a multiple of `2^depth` so that tiles start on the pooling grid.
    public func effectiveMargin(for network: UNet) -> Int {
        let m = network.architecture.sizeMultiple
        let exact = Self.receptiveRadius(of: network)
        let wanted = min(margin ?? exact, exact)
        return (wanted + m - 1) / m * m
    }

    /// Refines: `planes` are the network's one-channel input planes in `architecture.inputs`
    /// order, all the same size, except that a 1 × 1 plane stands for a constant plane (the
    /// noise level) and is never materialized; returns the one-channel refined image.
    /// `workspace` is reused across calls when given. A tile below 1 or a negative margin is a
    /// precondition failure here: call `checkSettings` first for the thrown error.
    public func run(_ network: UNet, planes: [Image], workspace: UNetWorkspace = UNetWorkspace()) -> Image {
        precondition(tile >= 1 && (margin ?? 0) >= 0, "tile must be ≥ 1 and margin ≥ 0, got \(tile), \(margin.map(String.init) ?? "nil")")
        let a = network.architecture
        precondition(planes.count == a.inputs.count && planes.allSatisfy { $0.channels == 1 },
                     "TiledInference needs \(a.inputs.count) one-channel planes, got \(planes.map(\.channels))")
        let h = planes[0].height, w = planes[0].width
        precondition(planes.allSatisfy { ($0.height == h && $0.width == w) || ($0.height == 1 && $0.width == 1) }, "planes must share one size")
        let m = a.sizeMultiple
        let margin = effectiveMargin(for: network)
        let coreH = (h + m - 1) / m * m, coreW = (w + m - 1) / m * m
        let tile = (min(self.tile, max(coreH, coreW)) + m - 1) / m * m
        var output = Image(height: h, width: w)
        var input = Tensor(batch: 1, channels: planes.count, height: 0, width: 0)
        let mode = PaddingMode.reflect
        var ty = 0
        while ty < coreH {
            let th = min(tile, coreH - ty)
            var tx = 0
            while tx < coreW {
                let tw = min(tile, coreW - tx)
                let ih = th + 2 * margin, iw = tw + 2 * margin
                input.reshape(batch: 1, channels: planes.count, height: ih, width: iw)
                // Gather the tile (core + margin) straight from the planes: no padded copy of the image.
                input.data.withUnsafeMutableBufferPointer { dst in
                    for (c, plane) in planes.enumerated() {
                        if plane.height == 1 && plane.width == 1 && (h != 1 || w != 1) {
                            (dst.baseAddress! + c * ih * iw).update(repeating: plane[0, 0], count: ih * iw)
                            continue
                        }
                        plane.withUnsafeBufferPointer { src in
                            for y in 0..<ih {
                                let sy = mode.sourceIndex(ty - margin + y, count: h)!
                                let row = (c * ih + y) * iw
                                for x in 0..<iw {
                                    dst[row + x] = src[sy * w + mode.sourceIndex(tx - margin + x, count: w)!]
                                }
                            }
                        }
                    }
                }
                let refined = network.forward(input, workspace: workspace)
                refined.data.withUnsafeBufferPointer { src in
                    output.withUnsafeMutableBufferPointer { dst in
                        for y in 0..<min(th, h - ty) {
                            for x in 0..<min(tw, w - tx) {
                                dst[(ty + y) * w + tx + x] = src[(margin + y) * iw + margin + x]
                            }
                        }
                    }
                }
                tx += tw
            }
            ty += th
        }
        return output
    }
}

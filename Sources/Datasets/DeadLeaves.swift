import DeblurCore

// API CONTRACT (stub): the synthesis helper replaces this body.

/// Procedural dead-leaves images: occluding disks with radius density ∝ r⁻³ in [rmin, rmax].
public struct DeadLeaves: Sendable, Equatable, Codable {
    public var minRadius: Double = 1
    public var maxRadius: Double = 100
    public var channels: Int = 1
    public init() {}

    /// A `height × width` image, deterministic for `seed`.
    public func generate(height: Int, width: Int, seed: UInt64) -> Image {
        Image(channels: channels, height: height, width: width, value: 0.5)
    }
}

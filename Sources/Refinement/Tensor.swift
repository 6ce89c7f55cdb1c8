import DeblurCore

/// A 4-D Float32 tensor in NCHW layout (batch, channels, height, width), row-major.
///
/// Element `(n, c, y, x)` is at `data[((n * channels + c) * height + y) * width + x]`, the
/// layout of PyTorch and ONNX, so weights and activations cross to them without reordering.
/// A value type backed by `[Float]` (copy-on-write).
public struct Tensor: Sendable, Equatable {
    public private(set) var batch: Int
    public private(set) var channels: Int
    public private(set) var height: Int
    public private(set) var width: Int
    /// The samples, NCHW.
    public var data: [Float]

    /// A tensor filled with `value`.
    public init(batch: Int, channels: Int, height: Int, width: Int, value: Float = 0) {
        precondition(batch >= 0 && channels >= 0 && height >= 0 && width >= 0,
                     "Tensor shape must be non-negative, got \(batch)×\(channels)×\(height)×\(width)")
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        data = [Float](repeating: value, count: batch * channels * height * width)
    }

    /// A tensor over existing NCHW samples.
    public init(batch: Int, channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == batch * channels * height * width,
                     "Tensor \(batch)×\(channels)×\(height)×\(width) needs \(batch * channels * height * width) samples, got \(data.count)")
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.data = data
    }

    /// A batch-1 tensor holding the image's channels.
    public init(_ image: Image) {
        self.init(batch: 1, channels: image.channels, height: image.height, width: image.width, data: image.pixels)
    }

    /// Sample `n` as an image (all channels).
    public func image(_ n: Int = 0) -> Image {
        precondition(n >= 0 && n < batch, "sample \(n) out of range 0..<\(batch)")
        let size = sampleSize
        return Image(channels: channels, height: height, width: width, pixels: Array(data[n * size ..< (n + 1) * size]))
    }

    /// `channels · height · width`.
    @inlinable public var sampleSize: Int { channels * height * width }
    /// `height · width`.
    @inlinable public var planeSize: Int { height * width }
    /// Total number of samples.
    @inlinable public var count: Int { batch * channels * height * width }
    /// The shape as `[N, C, H, W]`.
    public var shape: [Int] { [batch, channels, height, width] }

    @inlinable
    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { data[((n * channels + c) * height + y) * width + x] }
        set { data[((n * channels + c) * height + y) * width + x] = newValue }
    }

    /// Changes the shape, reusing the storage when the sample count is unchanged or smaller
    /// (buffers kept across training steps never reallocate). Contents are unspecified after.
    public mutating func reshape(batch: Int, channels: Int, height: Int, width: Int) {
        let n = batch * channels * height * width
        if n > data.count { data.append(contentsOf: repeatElement(0, count: n - data.count)) }
        else if n < data.count { data.removeLast(data.count - n) }
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
    }

    /// Sets every sample to `value`.
    public mutating func fill(_ value: Float) {
        data.withUnsafeMutableBufferPointer { p in p.update(repeating: value) }
    }

    /// True when both tensors have the same shape.
    public func hasShape(of other: Tensor) -> Bool {
        batch == other.batch && channels == other.channels && height == other.height && width == other.width
    }
}

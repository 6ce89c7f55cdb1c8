/// One input plane of the refiner network, in the order the network sees them.
public enum RefinerInput: String, Sendable, Codable, CaseIterable {
    /// The classical method's estimate; always first, and the residual is added to it.
    case estimate
    /// The blurred observation (same size as the estimate).
    case blurred
    /// A constant plane holding the Gaussian noise σ (on the [0, 1] scale), so one model
    /// serves a range of noise levels (Zhang et al. 2018, FFDNet).
    case noise
}

/// The shape of the residual U-Net refiner: how wide, how deep, which inputs.
///
/// Level `l` has `width · 2^l` channels; the bottleneck `width · 2^depth`. Each level runs
/// `convolutionsPerLevel` 3×3 convolutions with `activation`. Images must be a multiple of
/// `2^depth` in each axis (the refiner pads them). Written into the model file's header.
public struct RefinerArchitecture: Sendable, Codable, Equatable {
    /// Channels at full resolution (default 32).
    public var width: Int
    /// Number of 2× downsamplings (default 2).
    public var depth: Int
    /// 3×3 convolutions per level (default 2).
    public var convolutionsPerLevel: Int
    /// Input planes; the first must be `.estimate` (default estimate, blurred, noise).
    public var inputs: [RefinerInput]
    /// Negative slope of the leaky ReLU; 0 is a plain ReLU (default 0).
    public var leakySlope: Float

    public init(width: Int = 32, depth: Int = 2, convolutionsPerLevel: Int = 2,
                inputs: [RefinerInput] = [.estimate, .blurred, .noise], leakySlope: Float = 0) {
        self.width = width; self.depth = depth; self.convolutionsPerLevel = convolutionsPerLevel
        self.inputs = inputs; self.leakySlope = leakySlope
    }

    /// The toolkit's default refiner.
    public static let standard = RefinerArchitecture()

    /// Nil when valid, else what is wrong (checked when a model file is read or a flag parsed).
    public var problem: String? {
        if width < 1 || width > 1024 { return "width \(width) must be in 1…1024" }
        if depth < 0 || depth > 6 { return "depth \(depth) must be in 0…6" }
        if convolutionsPerLevel < 1 || convolutionsPerLevel > 8 { return "convolutionsPerLevel \(convolutionsPerLevel) must be in 1…8" }
        if inputs.first != .estimate { return "inputs \(inputs.map(\.rawValue)) must start with estimate" }
        if Set(inputs).count != inputs.count { return "inputs \(inputs.map(\.rawValue)) repeat a plane" }
        if !(leakySlope >= 0 && leakySlope < 1) { return "leakySlope \(leakySlope) must be in [0, 1)" }
        return nil
    }

    /// Image sizes must be multiples of this (`2^depth`).
    public var sizeMultiple: Int { 1 << depth }

    /// The number of Float32 weights and biases of the `UNet` of this (valid) architecture,
    /// counted without building it: a model file's header is checked against its data before
    /// anything that large is allocated (width 1024, depth 6 would be 2 TB).
    public var parameterCount: Int {
        precondition(problem == nil, "invalid architecture: \(problem!)")
        func conv(_ inChannels: Int, _ outChannels: Int, kernel: Int = 3) -> Int { outChannels * inChannels * kernel * kernel + outChannels }
        var count = 0
        var channels = inputs.count
        for l in 0..<depth {
            let levelWidth = width << l
            count += conv(channels, levelWidth) + (convolutionsPerLevel - 1) * conv(levelWidth, levelWidth)
            // The transposed 2×2 convolution up from level l + 1, and the decoder, which reads the
            // skip connection and the upsampled planes.
            count += conv(2 * levelWidth, levelWidth, kernel: 2)
            count += conv(2 * levelWidth, levelWidth) + (convolutionsPerLevel - 1) * conv(levelWidth, levelWidth)
            channels = levelWidth
        }
        let bottleneckWidth = width << depth
        count += conv(channels, bottleneckWidth) + (convolutionsPerLevel - 1) * conv(bottleneckWidth, bottleneckWidth)
        return count + conv(depth == 0 ? bottleneckWidth : width, 1, kernel: 1)
    }
}

extension RefinerArchitecture: CustomStringConvertible {
    /// In the train command's terms, for error messages: "width 32, depth 2, 2 convolutions, inputs estimate,noise".
    public var description: String {
        var text = "width \(width), depth \(depth), \(convolutionsPerLevel) convolutions, inputs \(inputs.map(\.rawValue).joined(separator: ","))"
        if leakySlope != 0 { text += ", leaky slope \(leakySlope)" }
        return text
    }
}

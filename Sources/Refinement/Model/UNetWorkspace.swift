/// One activation buffer, boxed so neighbouring layers can read one while writing another.
final class Slot: @unchecked Sendable {
    var tensor = Tensor(batch: 0, channels: 0, height: 0, width: 0)
}

/// The activations and gradients a `UNet` keeps between forward and backward, allocated on
/// the first step and reused afterwards (buffers only grow), with the convolutions' scratch.
/// One workspace per concurrent caller.
public final class UNetWorkspace: @unchecked Sendable {
    let input = Slot()
    var encoder: [[Slot]] = []
    var pooled: [Slot] = []
    var winners: [[Int32]] = []
    var bottleneck: [Slot] = []
    var upsampled: [Slot] = []
    var decoder: [[Slot]] = []
    let head = Slot()
    let prediction = Slot()
    // Gradient buffers: two ping-pong tensors and one per skip connection.
    let gradientA = Slot(), gradientB = Slot()
    var skipGradients: [Slot] = []
    let scratch = Scratch()

    public init() {}

    func prepare(for architecture: RefinerArchitecture) {
        let d = architecture.depth, c = architecture.convolutionsPerLevel
        if encoder.count == d && bottleneck.count == c && (d == 0 || encoder[0].count == c) { return }
        encoder = (0..<d).map { _ in (0..<c).map { _ in Slot() } }
        decoder = (0..<d).map { _ in (0..<c).map { _ in Slot() } }
        pooled = (0..<d).map { _ in Slot() }
        winners = Array(repeating: [], count: d)
        bottleneck = (0..<c).map { _ in Slot() }
        upsampled = (0..<d).map { _ in Slot() }
        skipGradients = (0..<d).map { _ in Slot() }
    }

    /// Floats held by all buffers (for the memory bound of tiled inference).
    public var allocatedFloats: Int {
        var slots: [Slot] = [input, head, prediction, gradientA, gradientB]
        slots += encoder.flatMap { $0 } + decoder.flatMap { $0 } + pooled + bottleneck + upsampled + skipGradients
        return slots.reduce(0) { $0 + $1.tensor.data.capacity } + winners.reduce(0) { $0 + $1.count } + scratch.allocatedFloats
    }
}

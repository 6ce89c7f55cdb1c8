/// A first-order optimizer: a value holding its state (moments, step count), applied as
/// `optimizer.update(&model, along: gradients)`.
///
/// `learningRate` is set by the trainer from a `LearningRateSchedule` before each step.
/// `state` exposes the moment vectors so checkpoints can save and restore them exactly.
public protocol Optimizer: Sendable {
    /// The step size of the next update.
    var learningRate: Float { get set }
    /// Updates taken so far.
    var step: Int { get set }
    /// The per-parameter state vectors (empty for plain SGD), in a fixed order.
    var state: [[Float]] { get set }
    /// Applies one update to `parameters` given `gradients` (same length).
    mutating func update(_ parameters: inout [Float], along gradients: [Float])
}

extension Optimizer {
    /// Applies one update to the network's weights.
    public mutating func update(_ model: inout UNet, along gradients: [Float]) {
        update(&model.parameters, along: gradients)
    }
}

/// `state` is the length of the optimizer's moment vectors (nil for SGD): an optimizer made for
/// fewer parameters than it is given wrote past its moments' end.
@inline(__always)
func checkUpdate(_ parameters: [Float], _ gradients: [Float], state: Int? = nil) {
    precondition(parameters.count == gradients.count, "optimizer: \(parameters.count) parameters vs \(gradients.count) gradients")
    precondition(state == nil || state == parameters.count, "optimizer made for \(state ?? 0) parameters, given \(parameters.count)")
}

/// The optimizers by name, for the `--optimizer` flag.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case sgd, momentum, nesterov, adagrad, adam, adamw

    /// Whether the optimizer applies a decoupled weight decay (Adam and AdamW only).
    public var hasWeightDecay: Bool { self == .adam || self == .adamw }

    /// The decoupled weight decay `make` applies for a requested `weightDecay`: as given for
    /// adam, AdamW's 10⁻⁴ when none is given, and 0 for the optimizers without one.
    public func effectiveWeightDecay(_ weightDecay: Float) -> Float {
        switch self {
        case .adam: return weightDecay
        case .adamw: return weightDecay == 0 ? 1e-4 : weightDecay
        default: return 0
        }
    }

    /// Which of `state`'s vectors hold sums or averages of squared gradients (Adam's second
    /// moment, AdaGrad's accumulator): never negative, or the step's square root is NaN.
    public var squaredStateIndices: [Int] {
        switch self {
        case .adam, .adamw: return [1]
        case .adagrad: return [0]
        case .sgd, .momentum, .nesterov: return []
        }
    }

    /// A fresh optimizer for `parameterCount` parameters with the given step size and decoupled
    /// weight decay (`effectiveWeightDecay(weightDecay)`: sgd, momentum, nesterov and adagrad have none).
    public func make(parameterCount: Int, learningRate: Float, weightDecay: Float = 0) -> any Optimizer {
        let weightDecay = effectiveWeightDecay(weightDecay)
        switch self {
        case .sgd: return SGD(learningRate: learningRate)
        case .momentum: return Momentum(parameterCount: parameterCount, learningRate: learningRate)
        case .nesterov: return Momentum(parameterCount: parameterCount, learningRate: learningRate, nesterov: true)
        case .adagrad: return AdaGrad(parameterCount: parameterCount, learningRate: learningRate)
        case .adam: return Adam(parameterCount: parameterCount, learningRate: learningRate, weightDecay: weightDecay)
        case .adamw: return Adam(parameterCount: parameterCount, learningRate: learningRate, weightDecay: weightDecay)
        }
    }
}

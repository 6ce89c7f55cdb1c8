import Foundation

/// The learning rate as a function of the step: a linear warm-up, then constant, step
/// decay or cosine annealing.
///
/// - step decay: `η = η₀ · γ^⌊t / every⌋` (PyTorch `StepLR`);
/// - cosine: `η = η_min + ½(η₀ − η_min)(1 + cos(π t / T))` (PyTorch `CosineAnnealingLR`,
///   Loshchilov & Hutter 2017);
/// - warm-up: `η·(t + 1)/warmup` for the first `warmup` steps (Goyal et al. 2017).
public struct LearningRateSchedule: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case constant, step, cosine }

    public var kind: Kind
    /// η₀.
    public var base: Float
    /// Steps of linear warm-up (default 0).
    public var warmup: Int
    /// Step decay: the period and factor γ (default 1000, 0.5).
    public var every: Int
    public var gamma: Float
    /// Cosine: the total steps T and the floor η_min (default η₀/100).
    public var total: Int
    public var minimum: Float

    public init(kind: Kind = .constant, base: Float, warmup: Int = 0, every: Int = 1000, gamma: Float = 0.5,
                total: Int = 1, minimum: Float? = nil) {
        self.kind = kind; self.base = base; self.warmup = max(0, warmup); self.every = max(1, every)
        self.gamma = gamma; self.total = max(1, total); self.minimum = minimum ?? base / 100
    }

    /// The learning rate of step `t` (0-based).
    public func rate(at t: Int) -> Float {
        var r: Float
        switch kind {
        case .constant: r = base
        // `every` as `init` clamps it: a decoded schedule (Codable) keeps a 0, which divided by zero.
        case .step: r = base * Float(pow(Double(gamma), Double(t / max(1, every))))
        case .cosine:
            let progress = min(1, Double(max(0, t - warmup)) / Double(max(1, total - warmup)))
            r = minimum + 0.5 * (base - minimum) * Float(1 + cos(Double.pi * progress))
        }
        if t < warmup { r *= Float(t + 1) / Float(warmup) }
        return r
    }
}

/// A weighted sum of losses, `L = Σ wᵢ Lᵢ` (gradients add the same way), e.g. the
/// `0.84·L1 + 0.16·(1 − SSIM)` mix of Zhao et al. (2017).
///
/// Parsed from the `--loss` flag: `mse`, `l1`, `charbonnier`, `ssim`, or a sum of
/// `weight*name` terms such as `0.8*l1+0.2*ssim`.
public struct WeightedLoss: Loss {
    public let terms: [(weight: Double, loss: any Loss)]

    public init(_ terms: [(weight: Double, loss: any Loss)]) {
        precondition(!terms.isEmpty, "WeightedLoss needs at least one term")
        self.terms = terms
    }

    /// Parses a `--loss` specification; throws `RefinementError.invalidSetting` on unknown names or bad weights.
    public init(parsing specification: String) throws {
        var terms: [(Double, any Loss)] = []
        // Empty terms ("0.8*l1+", "l1++ssim") are refused, not skipped: the weights would not be the ones meant.
        for part in specification.split(separator: "+", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "*", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var weight = 1.0
            var name = pieces.last ?? ""
            if pieces.count == 2 {
                // Bounded: the gradients are single precision, where a weight of 1e-320 is 0 (the
                // run trained nothing and said so nowhere) and one of 1e308 overflowed ("training
                // diverged … lower --lr", blaming the learning rate).
                guard let w = Double(pieces[0]), w >= 1e-6, w <= 1e6 else {
                    throw RefinementError.invalidSetting(name: "loss", value: specification, expected: "positive weights from 1e-6 to 1e6 like 0.8*l1+0.2*ssim")
                }
                weight = w
            } else if pieces.count != 1 {
                throw RefinementError.invalidSetting(name: "loss", value: specification, expected: "terms like 0.8*l1+0.2*ssim")
            }
            name = name.lowercased()
            let loss: any Loss
            switch name {
            case "mse", "l2": loss = MSELoss()
            case "l1": loss = CharbonnierLoss.l1
            case "charbonnier": loss = CharbonnierLoss()
            case "ssim": loss = SSIMLoss()
            default:
                throw RefinementError.invalidSetting(name: "loss", value: specification, expected: "mse, l1, charbonnier, ssim or a weighted sum such as 0.8*l1+0.2*ssim")
            }
            terms.append((weight, loss))
        }
        guard !terms.isEmpty else {
            throw RefinementError.invalidSetting(name: "loss", value: specification, expected: "at least one of mse, l1, charbonnier, ssim")
        }
        self.init(terms.map { (weight: $0.0, loss: $0.1) })
    }

    public var name: String {
        terms.map { $0.weight == 1 ? $0.loss.name : "\($0.weight)*\($0.loss.name)" }.joined(separator: "+")
    }

    public func evaluate(prediction: Tensor, target: Tensor, gradient: inout Tensor) -> Double {
        if terms.count == 1 && terms[0].weight == 1 { return terms[0].loss.evaluate(prediction: prediction, target: target, gradient: &gradient) }
        checkShapes(name, prediction, target, gradient: &gradient)
        gradient.fill(0)
        var part = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        var total = 0.0
        for (weight, loss) in terms {
            total += weight * loss.evaluate(prediction: prediction, target: target, gradient: &part)
            let w = Float(weight)
            part.data.withUnsafeBufferPointer { p in
                gradient.data.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] += w * p[i] } }
            }
        }
        return total
    }
}

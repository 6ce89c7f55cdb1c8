import Testing
import Foundation
import DeblurCore
@testable import Refinement

/// ∂L/∂prediction by central differences on every coordinate of a small batch.
func lossGradientError(_ loss: any Loss, prediction: Tensor, target: Tensor, step: Float) -> Double {
    var gradient = Tensor(batch: 0, channels: 0, height: 0, width: 0)
    _ = loss.evaluate(prediction: prediction, target: target, gradient: &gradient)
    return finiteDifferenceError(prediction.data, coordinates: Array(prediction.data.indices), step: step, floor: 1e-4,
                                 analytic: gradient.data) { d in
        loss.value(prediction: Tensor(batch: prediction.batch, channels: prediction.channels,
                                      height: prediction.height, width: prediction.width, data: d), target: target)
    }
}

/// The formula planes of Tests/RefinementReference/ssim_reference.py.
func ssimPlanes() -> (Tensor, Tensor) {
    let h = 24, w = 20
    var a = [Float](), b = [Float]()
    for y in 0..<h { for x in 0..<w {
        let fx = Float(x), fy = Float(y)
        a.append(0.5 + 0.4 * sin(0.3 * fx + 0.2 * fy))
        b.append(0.5 + 0.35 * sin(0.3 * fx + 0.2 * fy + 0.5) + 0.05 * cos(0.7 * fx * fy / 10))
    } }
    return (Tensor(batch: 1, channels: 1, height: h, width: w, data: a), Tensor(batch: 1, channels: 1, height: h, width: w, data: b))
}

@Suite struct LossTests {
    @Test func mseAndL1HaveTheirAnalyticValues() {
        let p = Tensor(batch: 1, channels: 1, height: 1, width: 4, data: [0, 1, 2, 3])
        let t = Tensor(batch: 1, channels: 1, height: 1, width: 4, data: [1, 1, 0, 3])
        #expect(MSELoss().value(prediction: p, target: t) == 5.0 / 4)
        #expect(CharbonnierLoss.l1.value(prediction: p, target: t) == 3.0 / 4)
        #expect(abs(CharbonnierLoss(epsilon: 1).value(prediction: p, target: t) - (2.0.squareRoot() + 1 + 5.0.squareRoot() + 1) / 4) < 1e-6)
    }

    @Test func mseAndCharbonnierGradientsMatchFiniteDifferences() {
        let p = randomTensor(2, 1, 5, 4, seed: 41, lo: 0, hi: 1), t = randomTensor(2, 1, 5, 4, seed: 42, lo: 0, hi: 1)
        #expect(lossGradientError(MSELoss(), prediction: p, target: t, step: 1e-2) < 1e-3)
        #expect(lossGradientError(CharbonnierLoss(epsilon: 0.05), prediction: p, target: t, step: 1e-3) < 2e-2)
    }

    @Test func charbonnierAndL1GradientsHaveTheirAnalyticValues() {
        // ∂L/∂p = d / (M √(d² + ε²)), d = p − t, in Float64 here; L1's subgradient is 0 at d = 0.
        // The last pair differs by 5·10⁻⁴, where ε = 10⁻³ (the default) matters most.
        let p = Tensor(batch: 1, channels: 1, height: 2, width: 3, data: [0, 1, 2, 3, 0.5, 0.5005])
        let t = Tensor(batch: 1, channels: 1, height: 2, width: 3, data: [1, 1, 0, 3, 0.5, 0.5])
        for epsilon in [0, 1e-3, 0.05] as [Float] {
            var gradient = Tensor(batch: 0, channels: 0, height: 0, width: 0)
            _ = CharbonnierLoss(epsilon: epsilon).evaluate(prediction: p, target: t, gradient: &gradient)
            for i in 0..<6 {
                let d = Double(p.data[i] - t.data[i]), e = Double(epsilon)
                let expected = d == 0 && e == 0 ? 0 : d / (6 * (d * d + e * e).squareRoot())
                #expect(abs(Double(gradient.data[i]) - expected) < 1e-6 * max(1, abs(expected)), "ε \(epsilon), sample \(i)")
            }
        }
    }

    @Test func ssimEqualsScikitImage() {
        // Tests/RefinementReference/ssim_reference.py: skimage structural_similarity(gaussian_weights, σ 1.5, population covariance).
        let (a, b) = ssimPlanes()
        let ssim = 1 - SSIMLoss().value(prediction: a, target: b)
        #expect(abs(ssim - 0.6562338633442129) < 1e-5)
        #expect(abs(SSIMLoss().value(prediction: a, target: a)) < 1e-9)
    }

    @Test func ssimGradientMatchesFiniteDifferences() {
        let p = randomTensor(2, 1, 13, 14, seed: 43, lo: 0.2, hi: 0.8), t = randomTensor(2, 1, 13, 14, seed: 44, lo: 0, hi: 1)
        #expect(lossGradientError(SSIMLoss(), prediction: p, target: t, step: 1e-2) < 2e-2)
    }

    @Test func weightedSumParsesAndAddsValuesAndGradients() throws {
        let loss = try WeightedLoss(parsing: "0.8*l1+0.2*ssim")
        #expect(loss.name == "0.8*l1+0.2*ssim")
        let p = randomTensor(1, 1, 12, 12, seed: 45, lo: 0, hi: 1), t = randomTensor(1, 1, 12, 12, seed: 46, lo: 0, hi: 1)
        let expected = 0.8 * CharbonnierLoss.l1.value(prediction: p, target: t) + 0.2 * SSIMLoss().value(prediction: p, target: t)
        #expect(abs(loss.value(prediction: p, target: t) - expected) < 1e-9)
        #expect(lossGradientError(try WeightedLoss(parsing: "mse+0.5*ssim"), prediction: p, target: t, step: 1e-2) < 2e-2)
        #expect(throws: RefinementError.self) { try WeightedLoss(parsing: "0.5*psnr") }
        for bad in ["0.8*l1+", "+l1", "l1++ssim", "0.8*", "*l1", "0.5*0.5*l1"] {
            #expect(throws: RefinementError.self, "\(bad)") { try WeightedLoss(parsing: bad) }
        }
        #expect(throws: RefinementError.self) { try WeightedLoss(parsing: "-1*mse") }
    }
}

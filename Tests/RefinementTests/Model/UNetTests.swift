import Testing
import DeblurCore
@testable import Refinement

@Suite struct UNetTests {
    let small = RefinerArchitecture(width: 4, depth: 2, convolutionsPerLevel: 1, inputs: [.estimate, .blurred], leakySlope: 0.1)

    @Test func untrainedNetworkIsTheIdentityOnTheEstimate() {
        let net = UNet(architecture: small, seed: 1)
        let x = randomTensor(2, 2, 8, 8, seed: 2, lo: 0, hi: 1)
        let y = net(x)
        #expect(y.shape == [2, 1, 8, 8])
        for n in 0..<2 { for i in 0..<64 { #expect(y.data[n * 64 + i] == x.data[n * 128 + i]) } }
    }

    @Test func parameterCountMatchesTheLayerShapes() {
        let net = UNet(architecture: .standard)
        // width 32, depth 2, 2 convs per level, 3 inputs.
        let conv = { (i: Int, o: Int, k: Int) in i * o * k * k + o }
        let expected = conv(3, 32, 3) + conv(32, 32, 3) + conv(32, 64, 3) + conv(64, 64, 3)
            + conv(64, 128, 3) + conv(128, 128, 3)
            + (128 * 64 * 4 + 64) + conv(128, 64, 3) + conv(64, 64, 3)
            + (64 * 32 * 4 + 32) + conv(64, 32, 3) + conv(32, 32, 3) + conv(32, 1, 1)
        #expect(net.parameterCount == expected)
    }

    /// The small network with a non-zero head, so gradients reach every layer.
    func headedNetwork() -> UNet {
        var net = UNet(architecture: small, seed: 3)
        var rng = SeededRandom(seed: 4)
        for i in 0..<net.head.parameterCount { net.parameters[net.head.offset + i] = Float(rng.gaussian() * 0.5) }
        return net
    }

    @Test func backwardMatchesFiniteDifferences() {
        let net = headedNetwork()
        let x = randomTensor(2, 2, 8, 8, seed: 5, lo: 0, hi: 1)
        let target = randomTensor(2, 1, 8, 8, seed: 6, lo: 0, hi: 1)
        let ws = UNetWorkspace()
        let prediction = net.forward(x, workspace: ws)
        var g = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        _ = MSELoss().evaluate(prediction: prediction, target: target, gradient: &g)
        var gradients = [Float](repeating: 0, count: net.parameterCount)
        net.backward(g, workspace: ws, gradients: &gradients)
        // Max-pool switches and ReLU kinks make a few central differences straddle a corner:
        // require 97 % of 200 sampled coordinates to agree within 5 %.
        let coordinates = sampleCoordinates(net.parameterCount, take: 200, seed: 7)
        let errors = coordinates.map { i in
            finiteDifferenceError(net.parameters, coordinates: [i], step: 1e-3, floor: 1e-3, analytic: gradients) { p in
                MSELoss().value(prediction: UNet(architecture: small, parameters: p)(x), target: target)
            }
        }
        #expect(errors.filter { $0 > 5e-2 }.count <= 6, "\(errors.filter { $0 > 5e-2 }.count) of 200 coordinates disagree")
        #expect(errors.sorted()[100] < 1e-2)
        #expect(gradients.contains { $0 != 0 })
        // Every layer receives gradient (first encoder conv included).
        #expect(gradients[0..<net.encoder[0][0].parameterCount].contains { $0 != 0 })
    }

    /// ∂L/∂input, residual path included, against central differences of the input: what a
    /// network trained inside the plug-and-play splitting hands back to the data step.
    @Test func inputGradientMatchesFiniteDifferences() {
        let net = headedNetwork()
        let x = randomTensor(2, 2, 8, 8, seed: 8, lo: 0, hi: 1)
        let target = randomTensor(2, 1, 8, 8, seed: 9, lo: 0, hi: 1)
        let ws = UNetWorkspace()
        var g = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        _ = MSELoss().evaluate(prediction: net.forward(x, workspace: ws), target: target, gradient: &g)
        var gradients = [Float](repeating: 0, count: net.parameterCount)
        var inputGradient = [Float](repeating: .nan, count: x.count)
        inputGradient.withUnsafeMutableBufferPointer { net.backward(g, workspace: ws, gradients: &gradients, inputGradient: $0.baseAddress!) }
        // The parameter gradient is the same with or without the input's.
        var plain = [Float](repeating: 0, count: net.parameterCount)
        _ = net.forward(x, workspace: ws)
        net.backward(g, workspace: ws, gradients: &plain)
        #expect(plain == gradients)
        // Along random directions, where single coordinates' differences drown in Float32
        // rounding and max-pool switches: the derivative to 2 %.
        for seed in UInt64(10)..<13 {
            let direction = randomVector(x.count, seed: seed)
            let error = directionalDerivativeError(x.data, direction: direction, step: 1e-4, analytic: inputGradient) { d in
                MSELoss().value(prediction: net(Tensor(batch: 2, channels: 2, height: 8, width: 8, data: d)), target: target)
            }
            #expect(error < 2e-2, "direction \(seed): relative error \(error)")
        }
        // Both planes (estimate and noise level) receive gradient.
        #expect(inputGradient[0..<64].contains { $0 != 0 } && inputGradient[64..<128].contains { $0 != 0 })
    }

    @Test func workspaceBuffersAreReusedAcrossSteps() {
        let net = UNet(architecture: small, seed: 8)
        let ws = UNetWorkspace()
        let x = randomTensor(4, 2, 16, 16, seed: 9)
        net.forward(x, workspace: ws)
        let before = ws.allocatedFloats
        net.forward(x, workspace: ws)
        #expect(ws.allocatedFloats == before)
    }
}

// Serialized: OpenBLAS threads spin while waiting, so concurrent tests would oversubscribe the cores.
@Suite(.serialized) struct OverfitTests {
    /// Four 16×16 random patches; the target is their unsharp mask `x + ½(x − box₃ x)`, a
    /// residual a 3×3 network can represent, so the loss can fall far.
    static func patches() -> (Tensor, Tensor) {
        // Zero-mean inputs keep the problem well conditioned for plain SGD.
        let input = randomTensor(4, 1, 16, 16, seed: 51, lo: -1, hi: 1)
        var target = input
        for n in 0..<4 { for y in 0..<16 { for x in 0..<16 {
            var s: Float = 0
            // Zero outside, like the network's zero padding, so the residual is exactly representable.
            for dy in -1...1 { for dx in -1...1 where (0..<16).contains(y + dy) && (0..<16).contains(x + dx) { s += input[n, 0, y + dy, x + dx] } }
            target[n, 0, y, x] = input[n, 0, y, x] + 0.5 * (input[n, 0, y, x] - s / 9)
        } } }
        return (input, target)
    }

    @Test(arguments: OptimizerKind.allCases)
    func smallNetworkOverfitsFourPatchesHundredfold(kind: OptimizerKind) {
        let architecture = RefinerArchitecture(width: 8, depth: 0, convolutionsPerLevel: 1, inputs: [.estimate], leakySlope: 0.1)
        var net = UNet(architecture: architecture, seed: 52)
        let (input, target) = Self.patches()
        let rates: [OptimizerKind: Float] = [.sgd: 0.5, .momentum: 0.05, .nesterov: 0.05, .adagrad: 0.05, .adam: 1e-2, .adamw: 1e-2]
        var optimizer = kind.make(parameterCount: net.parameterCount, learningRate: rates[kind]!)
        let ws = UNetWorkspace()
        var g = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        var gradients = [Float](repeating: 0, count: net.parameterCount)
        let initial = MSELoss().value(prediction: net(input), target: target)
        var best = initial
        for step in 0..<1000 {
            let loss = MSELoss().evaluate(prediction: net.forward(input, workspace: ws), target: target, gradient: &g)
            best = min(best, loss)
            if best < initial / 100 { print("\(kind) reached 1/100 at step \(step)"); break }
            for i in gradients.indices { gradients[i] = 0 }
            net.backward(g, workspace: ws, gradients: &gradients)
            optimizer.update(&net, along: gradients)
        }
        #expect(best < initial / 100, "\(kind): loss \(initial) → \(best)")
    }
}

import Testing
import DeblurCore
@testable import Refinement

/// Winograd F(4×4, 3×3) against the definition and against the im2col path, on odd and
/// even sizes (a half-outside last tile row and column) and with a concatenated input.
@Suite struct WinogradTests {
    func run(_ conv: Conv2D, _ x: Tensor, _ second: Tensor? = nil, parameters: [Float], activation: LeakyReLU? = nil,
             winograd: Bool, workers: Int? = nil) -> [Float] {
        let channels = x.channels + (second?.channels ?? 0)
        var y = [Float](repeating: .nan, count: x.batch * conv.outChannels * x.height * x.width)
        parameters.withUnsafeBufferPointer { p in x.data.withUnsafeBufferPointer { xp in (second?.data ?? []).withUnsafeBufferPointer { sp in
            y.withUnsafeMutableBufferPointer { yp in
                #expect(conv.inChannels == channels)
                conv.forward(ConvSource(xp.baseAddress!, channels: x.channels, second: sp.baseAddress, secondChannels: second?.channels ?? 0),
                             batch: x.batch, height: x.height, width: x.width, yp.baseAddress!, parameters: p.baseAddress!,
                             scratch: Scratch(), activation: activation, workers: workers, winograd: winograd)
            }
        } } }
        return y
    }

    @Test(arguments: [(9, 7), (8, 8), (1, 5), (6, 1), (33, 20), (13, 27)])
    func forwardMatchesNaiveConvolution(height: Int, width: Int) {
        let conv = Conv2D(inChannels: 3, outChannels: 5, geometry: ConvGeometry(kernel: 3, padding: 1))
        let parameters = randomVector(conv.parameterCount, seed: 21)
        let x = randomTensor(2, 3, height, width, seed: 22)
        let y = run(conv, x, parameters: parameters, winograd: true)
        let reference = naiveConv(x, weights: Array(parameters[0..<conv.weightCount]), bias: Array(parameters[conv.weightCount...]),
                                  out: 5, k: 3, stride: 1, padding: 1)
        #expect(maxAbs(y, reference.data) < tolerance(reference.data))
    }

    @Test func concatenatedInputWithActivationMatchesIm2col() {
        let conv = Conv2D(inChannels: 24, outChannels: 16, geometry: ConvGeometry(kernel: 3, padding: 1))
        #expect(conv.usesWinograd)
        let parameters = randomVector(conv.parameterCount, seed: 23, scale: 0.2)
        let a = randomTensor(3, 16, 19, 22, seed: 24), b = randomTensor(3, 8, 19, 22, seed: 25)
        let leaky = LeakyReLU(slope: 0.1)
        let fast = run(conv, a, b, parameters: parameters, activation: leaky, winograd: true)
        let direct = run(conv, a, b, parameters: parameters, activation: leaky, winograd: false)
        #expect(maxAbs(fast, direct) < tolerance(direct))
        #expect(fast.contains { $0 < -0.01 } && fast.contains { $0 > 0.01 })
    }

    /// A scratch keeps each layer's transformed weights between passes (plug-and-play runs the
    /// same network nine times): weights changed in place (a training step), or another layer at
    /// the same offset, must be transformed again, bit for bit as with a fresh scratch.
    @Test func keptTransformedWeightsFollowChangedWeights() {
        let conv = Conv2D(inChannels: 16, outChannels: 8, geometry: ConvGeometry(kernel: 3, padding: 1))
        let x = randomTensor(1, 16, 12, 10, seed: 41)
        func forward(_ conv: Conv2D, _ x: Tensor, _ parameters: [Float], _ scratch: Scratch) -> [Float] {
            var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
            conv.forward(x, into: &y, parameters: parameters, scratch: scratch)
            return y.data
        }
        let kept = Scratch()
        var parameters = randomVector(conv.parameterCount, seed: 42, scale: 0.2)
        let first = forward(conv, x, parameters, kept)
        #expect(first.map(\.bitPattern) == forward(conv, x, parameters, Scratch()).map(\.bitPattern))
        #expect(first.map(\.bitPattern) == forward(conv, x, parameters, kept).map(\.bitPattern))
        parameters[37] += 0.5
        let changed = forward(conv, x, parameters, kept)
        #expect(changed != first)
        #expect(changed.map(\.bitPattern) == forward(conv, x, parameters, Scratch()).map(\.bitPattern))
        // Another layer at offset 0 with other channel counts.
        let other = Conv2D(inChannels: 8, outChannels: 16, geometry: ConvGeometry(kernel: 3, padding: 1))
        let otherParameters = randomVector(other.parameterCount, seed: 43, scale: 0.2)
        let y = randomTensor(1, 8, 12, 10, seed: 44)
        #expect(forward(other, y, otherParameters, kept).map(\.bitPattern) == forward(other, y, otherParameters, Scratch()).map(\.bitPattern))
    }

    @Test func manyChunksAndAnyWorkerCountGiveTheSameBits() {
        // 64 + 64 channels: 40 × 40 spans several chunks per image.
        let conv = Conv2D(inChannels: 64, outChannels: 64, geometry: ConvGeometry(kernel: 3, padding: 1))
        #expect(WinogradF4.chunk(inChannels: 64, outChannels: 64, height: 40, width: 40) * 3 < WinogradF4.tiles(height: 40, width: 40))
        let parameters = randomVector(conv.parameterCount, seed: 26, scale: 0.1)
        let x = randomTensor(2, 64, 40, 40, seed: 27)
        let one = run(conv, x, parameters: parameters, winograd: true, workers: 1)
        #expect(!one.contains { $0.isNaN })
        let direct = run(conv, x, parameters: parameters, winograd: false)
        #expect(maxAbs(one, direct) < tolerance(direct))
        for workers in [2, 3] {
            let other = run(conv, x, parameters: parameters, winograd: true, workers: workers)
            #expect(zip(one, other).filter { $0.bitPattern != $1.bitPattern }.count == 0, "workers \(workers)")
        }
    }

    @Test(arguments: [(6, 5), (7, 8), (3, 3), (9, 10)])
    func backwardMatchesFiniteDifferences(height: Int, width: Int) {
        let conv = Conv2D(inChannels: 2, outChannels: 3, geometry: ConvGeometry(kernel: 3, padding: 1))
        let parameters = randomVector(conv.parameterCount, seed: 28)
        let x = randomTensor(2, 2, height, width, seed: 29)
        let r = randomVector(2 * 3 * height * width, seed: 30)
        // The loss through the direct (im2col) forward: only the Winograd backward is under test.
        func loss(_ p: [Float], _ input: [Float]) -> Double {
            dot(run(conv, Tensor(batch: 2, channels: 2, height: height, width: width, data: input), parameters: p, winograd: false), r)
        }
        var gradients = [Float](repeating: 0, count: parameters.count)
        var dx = [Float](repeating: .nan, count: x.count)
        backward(conv, x, r, parameters: parameters, gradients: &gradients, dx: &dx, winograd: true)
        // L = ⟨r, conv(x)⟩ is linear in each argument: central differences are exact up to rounding.
        let wError = finiteDifferenceError(parameters, coordinates: Array(parameters.indices), step: 0.25, analytic: gradients) { loss($0, x.data) }
        let xError = finiteDifferenceError(x.data, coordinates: Array(x.data.indices), step: 0.25, analytic: dx) { loss(parameters, $0) }
        #expect(wError < 1e-3)
        #expect(xError < 1e-3)
    }

    @Test func backwardOnAConcatenationMatchesIm2colForAnyWorkerCount() {
        let conv = Conv2D(inChannels: 20, outChannels: 12, geometry: ConvGeometry(kernel: 3, padding: 1))
        let parameters = randomVector(conv.parameterCount, seed: 31, scale: 0.2)
        let a = randomTensor(3, 12, 21, 18, seed: 32), b = randomTensor(3, 8, 21, 18, seed: 33)
        let r = randomVector(3 * 12 * 21 * 18, seed: 34)
        var g1 = [Float](repeating: 0.5, count: parameters.count), g2 = g1, g3 = g1
        var dx1 = [Float](repeating: .nan, count: 3 * 20 * 21 * 18), dx2 = dx1, dx3 = dx1
        backward(conv, a, second: b, r, parameters: parameters, gradients: &g1, dx: &dx1, winograd: false)
        backward(conv, a, second: b, r, parameters: parameters, gradients: &g2, dx: &dx2, winograd: true, workers: 1)
        backward(conv, a, second: b, r, parameters: parameters, gradients: &g3, dx: &dx3, winograd: true, workers: 2)
        // Weight gradients sum 3 · 21 · 18 products of O(1) terms: compare relative to their size.
        let scale = g1.map { abs($0) }.max()!
        #expect(scale > 10)
        #expect(maxAbs(g1, g2) < tolerance(g1))
        #expect(maxAbs(g1, g3) < tolerance(g1))
        #expect(maxAbs(dx1, dx2) < tolerance(dx1))
        #expect(dx2 == dx3)
    }

    /// Allowed deviation from the direct sum: 10⁻⁵ of the largest value (F(4×4, 3×3)'s
    /// transform coefficients up to 8 cost about a decimal digit against im2col's 10⁻⁶).
    func tolerance(_ reference: [Float]) -> Float {
        1e-5 * max(1, reference.map { abs($0) }.max() ?? 0)
    }

    func backward(_ conv: Conv2D, _ x: Tensor, second: Tensor? = nil, _ r: [Float], parameters: [Float], gradients: inout [Float],
                  dx: inout [Float], winograd: Bool, workers: Int? = nil) {
        parameters.withUnsafeBufferPointer { p in x.data.withUnsafeBufferPointer { xp in (second?.data ?? []).withUnsafeBufferPointer { sp in
            r.withUnsafeBufferPointer { rp in gradients.withUnsafeMutableBufferPointer { g in dx.withUnsafeMutableBufferPointer { d in
                conv.backward(ConvSource(xp.baseAddress!, channels: x.channels, second: sp.baseAddress, secondChannels: second?.channels ?? 0),
                              batch: x.batch, height: x.height, width: x.width, outputGradient: rp.baseAddress!,
                              inputGradient: d.baseAddress!, parameters: p.baseAddress!, gradients: g.baseAddress!,
                              scratch: Scratch(), workers: workers, winograd: winograd)
            } } }
        } } }
    }
}

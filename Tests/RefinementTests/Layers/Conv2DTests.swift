import Testing
import DeblurCore
@testable import Refinement

/// The textbook definition, one output at a time.
func naiveConv(_ x: Tensor, weights: [Float], bias: [Float], out: Int, k: Int, stride: Int, padding: Int) -> Tensor {
    let oh = (x.height + 2 * padding - k) / stride + 1, ow = (x.width + 2 * padding - k) / stride + 1
    var y = Tensor(batch: x.batch, channels: out, height: oh, width: ow)
    for n in 0..<x.batch { for o in 0..<out { for i in 0..<oh { for j in 0..<ow {
        var s = Double(bias[o])
        for c in 0..<x.channels { for a in 0..<k { for b in 0..<k {
            let yy = i * stride - padding + a, xx = j * stride - padding + b
            if yy >= 0 && yy < x.height && xx >= 0 && xx < x.width {
                s += Double(weights[((o * x.channels + c) * k + a) * k + b]) * Double(x[n, c, yy, xx])
            }
        } } }
        y[n, o, i, j] = Float(s)
    } } } }
    return y
}

@Suite struct Conv2DTests {
    /// Parameters too short for the layer's offset were read past their end (an output of
    /// garbage, −30721 here), gradients too short written past theirs, and a kernel larger than
    /// the padded input trapped on a negative count: each now stops with the shapes named.
    @Test func mismatchedParametersGradientsAndInputsStopWithTheirShapes() async throws {
        func stderr(of result: ExitTest.Result?) -> String { String(decoding: result?.standardErrorContent ?? [], as: UTF8.self) }
        let short = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let conv = Conv2D(inChannels: 2, outChannels: 4, geometry: ConvGeometry(kernel: 3, padding: 1))
            var output = Tensor(batch: 1, channels: 4, height: 8, width: 8)
            conv.forward(Tensor(batch: 1, channels: 2, height: 8, width: 8, value: 1), into: &output, parameters: [1], scratch: Scratch())
        }
        #expect(stderr(of: short).contains("Conv2D at offset 0 needs 76 parameters, got 1"), "\(stderr(of: short))")
        let gradients = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let conv = Conv2D(inChannels: 2, outChannels: 4, geometry: ConvGeometry(kernel: 3, padding: 1))
            var g = [Float](repeating: 0, count: 2)
            conv.backward(input: Tensor(batch: 1, channels: 2, height: 8, width: 8, value: 1),
                          outputGradient: Tensor(batch: 1, channels: 4, height: 8, width: 8, value: 1), inputGradient: nil,
                          parameters: [Float](repeating: 0.1, count: conv.parameterCount), gradients: &g, scratch: Scratch())
        }
        #expect(stderr(of: gradients).contains("Conv2D at offset 0 needs 76 gradients, got 2"), "\(stderr(of: gradients))")
        let small = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let conv = Conv2D(inChannels: 1, outChannels: 1, geometry: ConvGeometry(kernel: 5))
            var output = Tensor(batch: 1, channels: 1, height: 1, width: 1)
            conv.forward(Tensor(batch: 1, channels: 1, height: 3, width: 3, value: 1), into: &output,
                         parameters: [Float](repeating: 0.1, count: conv.parameterCount), scratch: Scratch())
        }
        #expect(stderr(of: small).contains("Conv2D's 5×5 kernel (padding 0) does not fit in the 3×3 input"), "\(stderr(of: small))")
        let transposed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let conv = ConvTranspose2D(inChannels: 2, outChannels: 4, geometry: ConvGeometry(kernel: 2, stride: 2), offset: 10)
            var output = Tensor(batch: 1, channels: 4, height: 16, width: 16)
            conv.forward(Tensor(batch: 1, channels: 2, height: 8, width: 8, value: 1), into: &output,
                         parameters: [Float](repeating: 0.1, count: conv.parameterCount), scratch: Scratch())
        }
        #expect(stderr(of: transposed).contains("ConvTranspose2D at offset 10 needs 46 parameters, got 36"), "\(stderr(of: transposed))")
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (5, 1, 2), (2, 2, 0)])
    func forwardMatchesNaiveConvolution(k: Int, stride: Int, padding: Int) {
        let conv = Conv2D(inChannels: 3, outChannels: 4, geometry: ConvGeometry(kernel: k, stride: stride, padding: padding))
        let parameters = randomVector(conv.parameterCount, seed: 1)
        let x = randomTensor(2, 3, 9, 7, seed: 2)
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        conv.forward(x, into: &y, parameters: parameters, scratch: Scratch())
        let reference = naiveConv(x, weights: Array(parameters[0..<conv.weightCount]), bias: Array(parameters[conv.weightCount...]),
                                  out: 4, k: k, stride: stride, padding: padding)
        #expect(y.shape == reference.shape)
        #expect(maxAbs(y.data, reference.data) < 1e-5)
    }

    @Test func chunkedColumnsGiveTheSameResultAsOneChunk() {
        // 64 input channels × 9 taps × 128² pixels exceeds the column budget: several chunks.
        let conv = Conv2D(inChannels: 64, outChannels: 2, geometry: ConvGeometry(kernel: 3, padding: 1))
        #expect(chunkLength(rows: conv.fanIn, pixels: 128 * 128) < 128 * 128)
        let parameters = randomVector(conv.parameterCount, seed: 3)
        let x = randomTensor(1, 64, 128, 128, seed: 4)
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        conv.forward(x, into: &y, parameters: parameters, scratch: Scratch())
        // Reference on two output pixels far apart, by the definition.
        for (i, j) in [(0, 0), (77, 127), (127, 3)] {
            var s = Double(parameters[conv.biasOffset + 1])
            for c in 0..<64 { for a in 0..<3 { for b in 0..<3 {
                let yy = i - 1 + a, xx = j - 1 + b
                if yy >= 0 && yy < 128 && xx >= 0 && xx < 128 { s += Double(parameters[((64 + c) * 3 + a) * 3 + b]) * Double(x[0, c, yy, xx]) }
            } } }
            #expect(abs(Double(y[0, 1, i, j]) - s) < 1e-4)
        }
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0)])
    func backwardMatchesFiniteDifferences(k: Int, stride: Int, padding: Int) {
        let conv = Conv2D(inChannels: 2, outChannels: 3, geometry: ConvGeometry(kernel: k, stride: stride, padding: padding))
        let parameters = randomVector(conv.parameterCount, seed: 5)
        let x = randomTensor(2, 2, 6, 5, seed: 6)
        let scratch = Scratch()
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        conv.forward(x, into: &y, parameters: parameters, scratch: scratch)
        let r = Tensor(batch: y.batch, channels: y.channels, height: y.height, width: y.width, data: randomVector(y.count, seed: 7))
        var gradients = [Float](repeating: 0, count: parameters.count)
        var dx = [Float](repeating: 0, count: x.count)
        dx.withUnsafeMutableBufferPointer { d in
            conv.backward(input: x, outputGradient: r, inputGradient: d.baseAddress!, parameters: parameters, gradients: &gradients, scratch: scratch)
        }
        // L = ⟨r, conv(x)⟩ is linear in each argument: central differences are exact up to rounding.
        func loss(_ p: [Float], _ input: Tensor) -> Double {
            var out = Tensor(batch: 0, channels: 0, height: 0, width: 0)
            conv.forward(input, into: &out, parameters: p, scratch: scratch)
            return dot(out.data, r.data)
        }
        let wError = finiteDifferenceError(parameters, coordinates: Array(parameters.indices), step: 0.25, analytic: gradients) { loss($0, x) }
        let xError = finiteDifferenceError(x.data, coordinates: Array(x.data.indices), step: 0.25, analytic: dx) {
            loss(parameters, Tensor(batch: 2, channels: 2, height: 6, width: 5, data: $0))
        }
        #expect(wError < 1e-3)
        #expect(xError < 1e-3)
    }

    @Test func twoInputsAreReadAsTheirChannelConcatenationWithFusedActivation() {
        let conv = Conv2D(inChannels: 5, outChannels: 4, geometry: ConvGeometry(kernel: 3, padding: 1))
        let parameters = randomVector(conv.parameterCount, seed: 8)
        let a = randomTensor(2, 2, 9, 7, seed: 9), b = randomTensor(2, 3, 9, 7, seed: 10)
        var joined = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        Concat.forward(a, b, into: &joined)
        let leaky = LeakyReLU(slope: 0.1)
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        conv.forward(a, b, into: &y, parameters: parameters, scratch: Scratch(), activation: leaky)
        let reference = naiveConv(joined, weights: Array(parameters[0..<conv.weightCount]), bias: Array(parameters[conv.weightCount...]),
                                  out: 4, k: 3, stride: 1, padding: 1)
        let activated = reference.data.map { $0 > 0 ? $0 : 0.1 * $0 }
        #expect(y.shape == reference.shape)
        #expect(maxAbs(y.data, activated) < 1e-5)
        #expect(activated.contains { $0 < 0 } && activated.contains { $0 > 0 })
    }

    @Test func twoInputBackwardEqualsBackwardOnTheConcatenation() {
        let conv = Conv2D(inChannels: 5, outChannels: 3, geometry: ConvGeometry(kernel: 3, padding: 1))
        let parameters = randomVector(conv.parameterCount, seed: 11)
        let a = randomTensor(2, 2, 6, 5, seed: 12), b = randomTensor(2, 3, 6, 5, seed: 13)
        var joined = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        Concat.forward(a, b, into: &joined)
        let r = randomTensor(2, 3, 6, 5, seed: 14)
        let scratch = Scratch()
        var g1 = [Float](repeating: 0, count: parameters.count), g2 = g1
        var dx1 = [Float](repeating: 0, count: joined.count), dx2 = dx1
        dx1.withUnsafeMutableBufferPointer { d in
            conv.backward(input: joined, outputGradient: r, inputGradient: d.baseAddress!, parameters: parameters, gradients: &g1, scratch: scratch)
        }
        dx2.withUnsafeMutableBufferPointer { d in
            conv.backward(input: a, b, outputGradient: r, inputGradient: d.baseAddress!, parameters: parameters, gradients: &g2, scratch: scratch)
        }
        #expect(maxAbs(g1, g2) < 1e-5)
        #expect(maxAbs(dx1, dx2) < 1e-5)
        #expect(g1.contains { abs($0) > 0.1 })
    }

    @Test func forwardIsBitwiseIndependentOfTheWorkerCount() {
        // 48² pixels × 144 rows spans two chunks per image: workers really split the batch.
        let conv = Conv2D(inChannels: 16, outChannels: 8, geometry: ConvGeometry(kernel: 3, padding: 1))
        #expect(chunkLength(rows: conv.fanIn, pixels: 48 * 48) < 48 * 48)
        let parameters = randomVector(conv.parameterCount, seed: 15)
        let x = randomTensor(2, 16, 48, 48, seed: 16)
        func run(_ workers: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: 2 * 8 * 48 * 48)
            parameters.withUnsafeBufferPointer { p in x.data.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                conv.forward(ConvSource(xp.baseAddress!, channels: 16), batch: 2, height: 48, width: 48, yp.baseAddress!,
                             parameters: p.baseAddress!, scratch: Scratch(), activation: .relu, workers: workers)
            } } }
            return y
        }
        let one = run(1)
        #expect(!one.contains { $0.isNaN })
        for workers in [2, 3] {
            let other = run(workers)
            #expect(zip(one, other).filter { $0.bitPattern != $1.bitPattern }.count == 0, "workers \(workers)")
        }
    }
}

extension Conv2DTests {
    @Test(arguments: [3, 1])
    func backwardSplitsImagesOverWorkersWithTheSameSum(kernel: Int) {
        // The im2col path (3 × 3, 3 input planes) and the pointwise one (1 × 1, a plain sgemm
        // per image), 5 images over 1, 2 and 3 workers: a worker with several images must sum
        // their weight gradients, not keep the last image's.
        let conv = Conv2D(inChannels: 3, outChannels: 6, geometry: ConvGeometry(kernel: kernel, padding: kernel / 2))
        #expect(!conv.usesWinograd)
        let parameters = randomVector(conv.parameterCount, seed: 40)
        let x = randomTensor(5, 3, 11, 9, seed: 41), r = randomVector(5 * 6 * 11 * 9, seed: 42)
        func run(_ workers: Int) -> (gradients: [Float], dx: [Float]) {
            var g = [Float](repeating: 0.25, count: parameters.count), dx = [Float](repeating: .nan, count: x.count)
            parameters.withUnsafeBufferPointer { p in x.data.withUnsafeBufferPointer { xp in r.withUnsafeBufferPointer { rp in
                g.withUnsafeMutableBufferPointer { gp in dx.withUnsafeMutableBufferPointer { d in
                    conv.backward(ConvSource(xp.baseAddress!, channels: 3), batch: 5, height: 11, width: 9, outputGradient: rp.baseAddress!,
                                  inputGradient: d.baseAddress!, parameters: p.baseAddress!, gradients: gp.baseAddress!,
                                  scratch: Scratch(), workers: workers)
                } }
            } } }
            return (g, dx)
        }
        let one = run(1)
        #expect(one.gradients.contains { abs($0 - 0.25) > 1 })
        for workers in [2, 3] {
            let other = run(workers), again = run(workers)
            #expect(maxAbs(one.gradients, other.gradients) < 1e-4)
            #expect(other.dx == one.dx)  // each image's ∂L/∂x is one worker's, computed alike
            #expect(other.gradients == again.gradients)  // same worker count, same bits
        }
    }
}

func maxAbs(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

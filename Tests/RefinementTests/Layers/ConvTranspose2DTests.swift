import Testing
import DeblurCore
@testable import Refinement

@Suite struct ConvTranspose2DTests {
    @Test(arguments: [(2, 2, 0), (3, 1, 1), (3, 2, 1), (4, 2, 1)])
    func isTheAdjointOfConv2DWithTheSameWeights(k: Int, stride: Int, padding: Int) {
        // ⟨Conv x, y⟩ = ⟨x, ConvT y⟩ with biases zero and one weight array [O, C, k, k].
        let g = ConvGeometry(kernel: k, stride: stride, padding: padding)
        let conv = Conv2D(inChannels: 3, outChannels: 5, geometry: g)
        let transpose = ConvTranspose2D(inChannels: 5, outChannels: 3, geometry: g)
        var parameters = randomVector(conv.parameterCount, seed: 11)
        for i in conv.weightCount..<conv.parameterCount { parameters[i] = 0 }
        let tParameters = Array(parameters[0..<conv.weightCount]) + [Float](repeating: 0, count: 3)
        #expect(tParameters.count == transpose.parameterCount)
        // Sizes where the strided windows end exactly on the last row and column, so the
        // transposed convolution's output covers all of x (no output_padding needed).
        var h = 8, w = 10
        while (h + 2 * padding - k) % stride != 0 { h += 1 }
        while (w + 2 * padding - k) % stride != 0 { w += 1 }
        let x = randomTensor(2, 3, h, w, seed: 12)
        let scratch = Scratch()
        var cx = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        conv.forward(x, into: &cx, parameters: parameters, scratch: scratch)
        let y = randomTensor(2, 5, cx.height, cx.width, seed: 13)
        var ty = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        transpose.forward(y, into: &ty, parameters: tParameters, scratch: scratch)
        #expect(ty.shape == x.shape)
        let lhs = dot(cx.data, y.data), rhs = dot(x.data, ty.data)
        #expect(abs(lhs - rhs) < 1e-5 * max(1, abs(lhs)))
    }

    @Test func strideTwoKernelTwoDoublesTheSizeAndPlacesEachWeightOnce() {
        let t = ConvTranspose2D(inChannels: 1, outChannels: 1, geometry: ConvGeometry(kernel: 2, stride: 2))
        let parameters: [Float] = [1, 2, 3, 4, 0.5]
        let x = Tensor(batch: 1, channels: 1, height: 1, width: 2, data: [1, 10])
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        t.forward(x, into: &y, parameters: parameters, scratch: Scratch())
        #expect(y.shape == [1, 1, 2, 4])
        #expect(y.data == [1.5, 2.5, 10.5, 20.5, 3.5, 4.5, 30.5, 40.5])
    }

    @Test func backwardMatchesFiniteDifferences() {
        let t = ConvTranspose2D(inChannels: 3, outChannels: 2, geometry: ConvGeometry(kernel: 2, stride: 2))
        let parameters = randomVector(t.parameterCount, seed: 14)
        let x = randomTensor(2, 3, 3, 4, seed: 15)
        let scratch = Scratch()
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        t.forward(x, into: &y, parameters: parameters, scratch: scratch)
        let r = randomVector(y.count, seed: 16)
        var gradients = [Float](repeating: 0, count: parameters.count)
        var dx = [Float](repeating: 0, count: x.count)
        dx.withUnsafeMutableBufferPointer { d in
            t.backward(input: x, outputGradient: Tensor(batch: y.batch, channels: y.channels, height: y.height, width: y.width, data: r),
                       inputGradient: d.baseAddress!, parameters: parameters, gradients: &gradients, scratch: scratch)
        }
        func loss(_ p: [Float], _ input: Tensor) -> Double {
            var out = Tensor(batch: 0, channels: 0, height: 0, width: 0)
            t.forward(input, into: &out, parameters: p, scratch: scratch)
            return dot(out.data, r)
        }
        #expect(finiteDifferenceError(parameters, coordinates: Array(parameters.indices), step: 0.25, analytic: gradients) { loss($0, x) } < 1e-3)
        #expect(finiteDifferenceError(x.data, coordinates: Array(x.data.indices), step: 0.25, analytic: dx) {
            loss(parameters, Tensor(batch: 2, channels: 3, height: 3, width: 4, data: $0))
        } < 1e-3)
    }
}

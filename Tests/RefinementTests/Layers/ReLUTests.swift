import Testing
@testable import Refinement

@Suite struct ReLUTests {
    @Test func reluZeroesNegativesAndLeakyScalesThem() {
        var x = Tensor(batch: 1, channels: 1, height: 1, width: 4, data: [-2, -0.5, 0, 3])
        var leaky = x
        LeakyReLU.relu.forward(&x)
        LeakyReLU(slope: 0.1).forward(&leaky)
        #expect(x.data == [0, 0, 0, 3])
        #expect(leaky.data == [-0.2, -0.05, 0, 3])
    }

    @Test func backwardMatchesFiniteDifferencesAwayFromTheKink() {
        let layer = LeakyReLU(slope: 0.2)
        let x = Tensor(batch: 1, channels: 2, height: 3, width: 3,
                       data: randomVector(18, seed: 31).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 })
        var y = x
        layer.forward(&y)
        let r = randomVector(18, seed: 32)
        var g = Tensor(batch: 1, channels: 2, height: 3, width: 3, data: r)
        layer.backward(output: y, gradient: &g)
        let error = finiteDifferenceError(x.data, coordinates: Array(x.data.indices), step: 0.01, analytic: g.data) { d in
            var t = Tensor(batch: 1, channels: 2, height: 3, width: 3, data: d)
            layer.forward(&t)
            return dot(t.data, r)
        }
        #expect(error < 1e-3)
    }
}

import Testing
import DeblurCore
@testable import Refinement

@Suite struct MaxPool2DTests {
    @Test func forwardTakesEachWindowsMaximumAndDropsTrailingRows() {
        let x = Tensor(batch: 1, channels: 1, height: 3, width: 4, data: [1, 5, 2, 0,
                                                                           3, 4, 8, 7,
                                                                           9, 9, 9, 9])
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        var winners: [Int32] = []
        MaxPool2D(size: 2).forward(x, into: &y, winners: &winners)
        #expect(y.shape == [1, 1, 1, 2])
        #expect(y.data == [5, 8])
        #expect(winners == [1, 6])
    }

    /// 2 × 2 windows take an unrolled path: it must keep the general rule, the first maximum
    /// in row-major window order winning ties, on values with many ties (and NaN never winning).
    @Test func twoByTwoWindowsKeepTheFirstMaximumOnTies() {
        var rng = SeededRandom(seed: 5)
        let h = 6, w = 8, planes = 2 * 3
        var values = (0..<(planes * h * w)).map { _ in Float(Int(rng.next() % 3)) }
        values[9] = .nan; values[17] = .nan
        let x = Tensor(batch: 2, channels: 3, height: h, width: w, data: values)
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        var winners: [Int32] = []
        MaxPool2D(size: 2).forward(x, into: &y, winners: &winners)
        var expected: [Float] = [], expectedWinners: [Int32] = []
        for plane in 0..<planes {
            for i in 0..<(h / 2) {
                for j in 0..<(w / 2) {
                    let order = [(0, 0), (0, 1), (1, 0), (1, 1)].map { (2 * i + $0.0) * w + 2 * j + $0.1 }
                    var best = order[0]
                    for index in order.dropFirst() where values[plane * h * w + index] > values[plane * h * w + best] { best = index }
                    expected.append(values[plane * h * w + best]); expectedWinners.append(Int32(best))
                }
            }
        }
        #expect(winners == expectedWinners)
        #expect(zip(y.data, expected).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    @Test func backwardMatchesFiniteDifferences() {
        // Distinct values (a shuffled ramp) keep every maximum away from ties.
        var rng = SeededRandom(seed: 21)
        let values = (0..<(2 * 3 * 6 * 4)).map { Float($0) * 0.1 }.shuffled(using: &rng)
        let x = Tensor(batch: 2, channels: 3, height: 6, width: 4, data: values)
        let pool = MaxPool2D(size: 2)
        var y = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        var winners: [Int32] = []
        pool.forward(x, into: &y, winners: &winners)
        let r = randomVector(y.count, seed: 22)
        var dx = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        pool.backward(outputGradient: Tensor(batch: 2, channels: 3, height: 3, width: 2, data: r), winners: winners,
                      inputHeight: 6, inputWidth: 4, into: &dx)
        let error = finiteDifferenceError(x.data, coordinates: Array(x.data.indices), step: 0.01, analytic: dx.data) { d in
            var out = Tensor(batch: 0, channels: 0, height: 0, width: 0)
            var w: [Int32] = []
            pool.forward(Tensor(batch: 2, channels: 3, height: 6, width: 4, data: d), into: &out, winners: &w)
            return dot(out.data, r)
        }
        #expect(error < 1e-2)
    }
}

import Testing
@testable import Refinement

@Suite struct ConcatTests {
    /// A first part wider than the gradient made the second part's size negative: a segfault.
    @Test func aFirstPartWiderThanTheGradientStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var first = [Float](repeating: 0, count: 4)
            Concat.backward(Tensor(batch: 1, channels: 2, height: 2, width: 2, value: 1), firstChannels: 5, first: &first, second: nil)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Concat backward: first part of 5 channels, the gradient has 2"), "\(message)")
    }

    @Test func forwardStacksChannelsPerSampleAndBackwardSplitsThem() {
        let a = Tensor(batch: 2, channels: 1, height: 1, width: 2, data: [1, 2, 3, 4])
        let b = Tensor(batch: 2, channels: 2, height: 1, width: 2, data: [10, 11, 12, 13, 14, 15, 16, 17])
        var c = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        Concat.forward(a, b, into: &c)
        #expect(c.shape == [2, 3, 1, 2])
        #expect(c.data == [1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17])
        var da = [Float](repeating: 0, count: 4), db = [Float](repeating: 1, count: 8)
        da.withUnsafeMutableBufferPointer { pa in
            db.withUnsafeMutableBufferPointer { pb in
                Concat.backward(c, firstChannels: 1, first: pa.baseAddress!, second: pb.baseAddress!, addSecond: true)
            }
        }
        #expect(da == a.data)
        #expect(db == b.data.map { $0 + 1 })
    }
}

import Testing
@testable import Refinement

@Suite struct AddTests {
    @Test func forwardAddsElementwise() {
        let a = Tensor(batch: 1, channels: 1, height: 1, width: 3, data: [1, 2, 3])
        let b = Tensor(batch: 1, channels: 1, height: 1, width: 3, data: [0.5, -2, 10])
        var c = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        Add.forward(a, b, into: &c)
        #expect(c.data == [1.5, 0, 13])
    }
}

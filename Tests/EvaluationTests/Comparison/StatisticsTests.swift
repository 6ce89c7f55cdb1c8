import Testing
@testable import Evaluation

@Suite struct StatisticsTests {
    @Test func meanMedianAndPopulationStd() {
        let s = Statistic([4, 1, 3, 2])
        #expect(s.count == 4 && s.mean == 2.5 && s.median == 2.5)
        #expect(abs(s.std - 1.25.squareRoot()) < 1e-15)
        let odd = Statistic([5, 1, 3])
        #expect(odd.median == 3 && odd.mean == 3)
        #expect(abs(odd.std - (8.0 / 3).squareRoot()) < 1e-15)
    }

    @Test func emptySampleIsNaNNotACrash() {
        let s = Statistic([])
        #expect(s.count == 0 && s.mean.isNaN && s.median.isNaN && s.std.isNaN)
    }
}

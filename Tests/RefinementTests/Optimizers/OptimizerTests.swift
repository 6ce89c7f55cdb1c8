import Testing
import Foundation
@testable import Refinement

@Suite struct OptimizerTests {
    /// An optimizer made for fewer parameters than it is given wrote past its moments' end.
    @Test func anOptimizerMadeForAnotherParameterCountStops() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var adam = Adam(parameterCount: 2)
            var p: [Float] = [1, 2, 3, 4]
            adam.update(&p, along: [1, 1, 1, 1])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("optimizer made for 2 parameters, given 4"), "\(message)")
    }

    /// A decoded schedule keeps a step period of 0 that `init` clamps to 1: it divided by zero.
    @Test func aDecodedStepScheduleWithPeriodZeroDecaysEveryStep() throws {
        let json = #"{"kind":"step","base":0.1,"warmup":0,"every":0,"gamma":0.5,"total":1,"minimum":0.001}"#
        let schedule = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(json.utf8))
        #expect(schedule.rate(at: 3) == LearningRateSchedule(kind: .step, base: 0.1, every: 1).rate(at: 3))
        #expect(abs(schedule.rate(at: 3) - 0.0125) < 1e-7)
    }

    @Test func adamFirstStepMovesEachParameterByTheLearningRate() {
        // With bias correction, m̂ = g and v̂ = g², so the first step is η·sign(g).
        var adam = Adam(parameterCount: 3, learningRate: 0.1)
        var p: [Float] = [1, 1, 1]
        adam.update(&p, along: [2, -0.5, 1e-3])
        #expect(abs(p[0] - 0.9) < 1e-6 && abs(p[1] - 1.1) < 1e-6 && abs(p[2] - 0.9) < 1e-4)
    }

    @Test func adamWDecaysWeightsIndependentlyOfTheGradient() {
        var adamw = Adam(parameterCount: 1, learningRate: 0.1, weightDecay: 0.5)
        var p: [Float] = [2]
        adamw.update(&p, along: [0])
        #expect(abs(p[0] - (2 - 0.1 * 0.5 * 2)) < 1e-6)
    }

    @Test func nesterovDiffersFromHeavyBallByTheLookAhead() {
        var heavy = Momentum(parameterCount: 1, learningRate: 1, momentum: 0.5)
        var nesterov = Momentum(parameterCount: 1, learningRate: 1, momentum: 0.5, nesterov: true)
        var a: [Float] = [0], b: [Float] = [0]
        for _ in 0..<2 { heavy.update(&a, along: [1]); nesterov.update(&b, along: [1]) }
        // heavy: v = 1, 1.5 → −2.5; nesterov: steps 1 + 0.5·1 = 1.5, then 1 + 0.5·1.5 = 1.75 → −3.25.
        #expect(a == [-2.5])
        #expect(b == [-3.25])
    }

    @Test func adagradScalesByTheAccumulatedGradient() {
        var ada = AdaGrad(parameterCount: 1, learningRate: 1, epsilon: 0)
        var p: [Float] = [0]
        ada.update(&p, along: [3])
        ada.update(&p, along: [4])
        #expect(abs(p[0] - (-1 - 4 / 5)) < 1e-6)
    }

    @Test func schedulesFollowTheirFormulas() {
        let step = LearningRateSchedule(kind: .step, base: 1, every: 10, gamma: 0.1)
        #expect(step.rate(at: 9) == 1 && abs(step.rate(at: 10) - 0.1) < 1e-7)
        let cosine = LearningRateSchedule(kind: .cosine, base: 1, total: 100, minimum: 0)
        #expect(cosine.rate(at: 0) == 1 && abs(cosine.rate(at: 50) - 0.5) < 1e-6 && abs(cosine.rate(at: 100)) < 1e-7)
        let warm = LearningRateSchedule(kind: .constant, base: 1, warmup: 4)
        #expect(warm.rate(at: 0) == 0.25 && warm.rate(at: 3) == 1 && warm.rate(at: 10) == 1)
    }
}

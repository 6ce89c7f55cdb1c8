import Testing
import Foundation
import DeblurCore
import _TestSupport
import Deconvolution
@testable import Refinement

@Suite struct EndToEndTests {
    static func scene(sigma: Double = 0.02) throws -> BlurredScene {
        let (blurred, sharp, psf) = try PlugAndPlayTests.blurredScene(sigma: sigma)
        return BlurredScene(blurred: blurred, sharp: sharp, psf: psf, noiseSigma: sigma)
    }

    static func workspaces(_ count: Int) -> [UNetWorkspace] { (0..<count).map { _ in UNetWorkspace() } }

    /// The training forward pass is inference: the same output as `restore` given the true σ,
    /// bit for bit (same data steps, symmetries and input tile).
    @Test func forwardPassIsTheRestoration() throws {
        let s = try Self.scene()
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: s.noiseSigma, iterations: 5)
        pnp.collaborativeSteps = 0
        var gradients = [Float](repeating: 0, count: pnp.model.network.parameterCount)
        let result = try pnp.endToEndGradient(network: pnp.model.network, scene: s, loss: CharbonnierLoss.l1, workspaces: Self.workspaces(5), gradients: &gradients)
        let restored = try pnp.restore(s.blurred, psf: s.psf)
        #expect(maxAbsDifference(result.output, restored) == 0)
        #expect(abs(result.loss - CharbonnierLoss.l1.value(prediction: Tensor(restored), target: Tensor(s.sharp))) < 1e-9)
        #expect(gradients.contains { $0 != 0 })
    }

    /// The gradient through every network pass and data step against central differences of
    /// the whole splitting's loss in the weights (data steps solved tightly, so the difference
    /// quotient sees the same function).
    @Test func gradientMatchesFiniteDifferencesThroughTheSplitting() throws {
        let s = try Self.scene()
        let pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 3, sigmaStart: 0.1)
        let network = pnp.model.network
        var gradients = [Float](repeating: 0, count: network.parameterCount)
        let ws = Self.workspaces(3)
        _ = try pnp.endToEndGradient(network: network, scene: s, loss: MSELoss(), workspaces: ws, gradients: &gradients, tolerance: 1e-7)
        var scratch = [Float](repeating: 0, count: network.parameterCount)
        for seed in UInt64(90)..<92 {
            let direction = randomVector(network.parameterCount, seed: seed)
            // Kinks (leaky ReLU, max-pool) make the difference quotient converge slowly: a
            // small step, where Float32 rounding is still far below the derivative.
            let error = directionalDerivativeError(network.parameters, direction: direction, step: 1e-4, analytic: gradients) { p in
                (try? pnp.endToEndGradient(network: UNet(architecture: network.architecture, parameters: p), scene: s, loss: MSELoss(),
                                           workspaces: ws, gradients: &scratch, tolerance: 1e-7).loss) ?? .nan
            }
            #expect(error < 3e-2, "direction \(seed): relative error \(error)")
        }
    }

    static func training(seed: UInt64 = 3) throws -> EndToEndTraining {
        var settings = SyntheticDataSettings()
        settings.imageSize = 24; settings.psfSizes = [5, 7]; settings.validationImages = 2
        var splitting = try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 3)
        splitting.collaborativeSteps = 0
        return try EndToEndTraining(splitting: splitting, settings: settings, seed: seed)
    }

    static func trainer(_ training: EndToEndTraining, steps: Int = 3) throws -> Trainer {
        var options = TrainingOptions()
        options.steps = steps; options.stepsPerEpoch = 2; options.batch = 3; options.learningRate = 1e-3
        let trainer = try Trainer(architecture: tinyDenoiser().network.architecture, base: BaseMethod(name: "none", parameters: [:]),
                                  data: TrainingData(training: [], validation: [], description: [:], task: .denoise), options: options,
                                  output: nil, logPath: nil)
        try trainer.initialize(from: tinyDenoiser(), path: "tiny.model")
        try trainer.trainEndToEnd(training)
        return trainer
    }

    /// Scenes are fresh per index and fixed by the seed; the same seed trains the same weights
    /// (the batch is spread over threads, and their sums are added in a fixed order).
    @Test func trainingIsDeterministicAndRecordsItself() throws {
        // Its own thread count: other tests change the global BLAS.threads while this one runs.
        var training = try Self.training()
        training.threads = 2
        #expect(maxAbsDifference(try training.trainingScene(4).blurred, try Self.training().trainingScene(4).blurred) == 0)
        #expect(maxAbsDifference(try training.trainingScene(4).sharp, try training.trainingScene(5).sharp) > 0.01)
        let a = try Self.trainer(training), b = try Self.trainer(training)
        let modelA = try a.run(), modelB = try b.run()
        #expect(a.network.parameters == b.network.parameters)
        #expect(a.network.parameters != tinyDenoiser().network.parameters)
        #expect(modelA.network.parameters == modelB.network.parameters)
        #expect(modelA.header.training["end_to_end"] == .bool(true) && modelA.header.training["initialized_from"] == .string("tiny.model"))
        #expect(modelA.header.training["iterations"] == .number(3) && modelA.header.task == .denoise)
        // Validation scores the splitting's own output with the current weights.
        var splitting = training.splitting
        splitting.model.network = a.network
        let v = training.validation[0]
        let restored = try splitting.restore(v.blurred, psf: v.psf)
        let expected = (psnr(Tensor(restored), Tensor(v.sharp)) + psnr(Tensor(try splitting.restore(training.validation[1].blurred, psf: training.validation[1].psf)),
                                                                          Tensor(training.validation[1].sharp))) / 2
        #expect(abs(try #require(a.validate()).psnr - expected) < 1e-9)
    }

    /// The scenes of a step go to `training.threads` threads (the CLI leaves it to `BLAS.threads`,
    /// that is `--threads`, recorded as `blas_threads`), not to every core of the machine: the
    /// gradient sums' order, and so the weights, follow that count.
    @Test func scenesAreSpreadOverTheConfiguredThreadCount() throws {
        var training = try Self.training()
        for count in [1, 2, 3] {
            training.threads = count
            #expect(try EndToEndStep(training, batch: 3, network: tinyDenoiser().network).threads == count)
        }
        training.threads = 8
        #expect(try EndToEndStep(training, batch: 3, network: tinyDenoiser().network).threads == 3)
    }

    @Test func refinersAndEnsemblesAreRefused() throws {
        var options = TrainingOptions()
        options.steps = 1
        let refiner = try Trainer(architecture: tinyModel().network.architecture, base: BaseMethod(name: "wiener", parameters: [:]),
                                  data: TrainingData(training: [], validation: [], description: [:]), options: options, output: nil, logPath: nil)
        #expect(throws: RefinementError.self) { try refiner.trainEndToEnd(try Self.training()) }
        var training = try Self.training()
        training.splitting.finalEnsemble = 8
        let denoiser = try Self.trainer(try Self.training(), steps: 1)
        #expect(throws: RefinementError.self) { try Trainer(architecture: denoiser.network.architecture, base: denoiser.base, data: denoiser.data,
                                                             options: options, output: nil, logPath: nil).trainEndToEnd(training) }
        // The gradient does not follow the collaborative filter: a splitting with it is refused
        // when the training is made and when it is handed to a trainer.
        var collaborative = try Self.training()
        collaborative.splitting.collaborativeSteps = 2
        #expect(throws: RefinementError.self) { try Self.trainer(try Self.training(), steps: 1).trainEndToEnd(collaborative) }
        #expect(throws: RefinementError.self) {
            try EndToEndTraining(splitting: try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 3), settings: SyntheticDataSettings(), seed: 1)
        }
        // Not switched once training has started.
        try denoiser.run()
        #expect(throws: RefinementError.self) { try denoiser.trainEndToEnd(try Self.training()) }
    }
}

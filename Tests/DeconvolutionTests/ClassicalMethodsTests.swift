import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct ClassicalMethodsTests {
    @Test func specsBuildTheConfiguredMethods() throws {
        let rl = try #require(try ClassicalMethods.make(spec: "rl:iterations=12,boundary=circular,init=constant,acceleration=true") as? RichardsonLucy)
        #expect(rl.iterations == 12 && rl.boundary == .circular && rl.initialization == .constant && rl.acceleration)
        let wiener = try #require(try ClassicalMethods.make(spec: "wiener:nsr=auto") as? Wiener)
        #expect(wiener.noiseToSignal == .automatic && wiener.boundary == .masked && wiener.iterations == 30)
        let sigma = try #require(try ClassicalMethods.make("wiener", parameters: ["noise-sigma": "0.02"]) as? Wiener)
        #expect(sigma.noiseToSignal == .noiseSigma(0.02))
        let tikhonov = try #require(try ClassicalMethods.make(spec: "tikhonov:lambda=0.002") as? Tikhonov)
        #expect(tikhonov.lambda == 0.002 && tikhonov.regularizer == .laplacian && tikhonov.boundary == .masked)
        let cg = try #require(try ClassicalMethods.make(spec: "tikhonov:iterations=12,boundary=masked") as? Tikhonov)
        #expect(cg.iterations == 12 && cg.boundary == .masked)
        let tv = try #require(try ClassicalMethods.make(spec: "rl-tv:lambda=0.01") as? RLTV)
        #expect(tv.lambda == 0.01 && tv.boundary == .masked)
        let hl = try #require(try ClassicalMethods.make(spec: "hyper-laplacian:alpha=1,lambda=3000") as? HyperLaplacian)
        #expect(hl.alpha == 1 && hl.lambda == 3000)
        let hlDefault = try #require(try ClassicalMethods.make("hyper-laplacian") as? HyperLaplacian)
        #expect(abs(hlDefault.alpha - 2.0 / 3.0) < 1e-7 && hlDefault.lambda == nil)
        #expect(hlDefault.boundary == .masked && hlDefault.innerIterations == 5)
        let hlReflect = try #require(try ClassicalMethods.make(spec: "hyper-laplacian:boundary=reflect") as? HyperLaplacian)
        #expect(hlReflect.innerIterations == 1)
    }

    /// `noise_sigma` (the CNN's spelling) means `noise-sigma`; both at once is an error naming
    /// the key, and the resolved record keeps the method's own spelling.
    @Test func keysMaySwapHyphensForUnderscores() throws {
        let snake = try #require(try ClassicalMethods.make("wiener", parameters: ["noise_sigma": "0.02"]) as? Wiener)
        #expect(snake.noiseToSignal == .noiseSigma(0.02))
        let hl = try #require(try ClassicalMethods.make(spec: "hyper-laplacian:beta_max=64,inner_iterations=2") as? HyperLaplacian)
        #expect(hl.betaMax == 64 && hl.innerIterations == 2)
        #expect(try ClassicalMethods.resolvedParameters("hyper-laplacian", parameters: ["beta_max": "64"])["beta-max"] == "64")
        #expect(throws: DeconvolutionError.self) { try ClassicalMethods.make("wiener", parameters: ["noise_sigma": "0.02", "noise-sigma": "0.03"]) }
        #expect(ParameterKeys.canonical(["a_b": "1", "c": "2"], known: ["a-b"]) == (["a-b": "1", "c": "2"], nil))
    }

    /// The record of a one-shot Wiener or Tikhonov carries no CG steps, so it is made again
    /// as it was; a header that recorded the default steps there (written before 2026-11-27)
    /// is read without them.
    @Test func resolvedOneShotFiltersRecordNoIterations() throws {
        for name in ["wiener", "tikhonov"] {
            let resolved = try ClassicalMethods.resolvedParameters(name, parameters: ["boundary": "reflect"])
            #expect(resolved["iterations"] == nil && resolved["boundary"] == "reflect", "\(resolved)")
            _ = try ClassicalMethods.make(name, parameters: resolved)
            #expect(try ClassicalMethods.resolvedParameters(name, parameters: [:])["iterations"] == "30")
            let old = resolved.merging(["iterations": "30"]) { $1 }
            #expect(throws: DeconvolutionError.self) { try ClassicalMethods.make(name, parameters: old) }
            #expect(ClassicalMethods.withoutUnusedKeys(name, parameters: old) == resolved)
        }
        let masked = ["boundary": "masked", "iterations": "5"]
        #expect(ClassicalMethods.withoutUnusedKeys("wiener", parameters: masked) == masked)
        #expect(ClassicalMethods.withoutUnusedKeys("rl", parameters: ["boundary": "reflect", "iterations": "5"])["iterations"] == "5")
    }

    @Test func madeMethodRestoresLikeTheDirectOne() throws {
        let blurred = naiveCircularConvolve(testScene(height: 20, width: 20, seed: 1), asymmetricPSF())
        let made = try ClassicalMethods.make(spec: "rl:iterations=7")
        let direct = RichardsonLucy(iterations: 7)
        #expect(maxAbsDifference(try made.restore(blurred, psf: asymmetricPSF()), try direct.restore(blurred, psf: asymmetricPSF())) == 0)
    }

    @Test func badSpecsNameTheKeyAndValue() {
        let cases: [(String, String)] = [
            ("deblur-magic", "deblur-magic"), ("rl:iterations=ten", "ten"), ("rl:speed=3", "speed"),
            ("wiener:boundary=wrap", "wrap"), ("rl:clip=maybe", "maybe"), ("rl:iterations", "iterations"),
            ("wiener:nsr=0.1,noise-sigma=0.01", "nsr and noise-sigma"), ("rl:iterations=3,iterations=5", "each key once"),
            // Values every image would refuse, refused when the method is made.
            ("rl:iterations=0", "iterations"), ("rl:damping=-1", "damping"), ("rl-tv:lambda=-1", "lambda"),
            ("tikhonov:lambda=-1", "-1"), ("wiener:nsr=-1", "-1"), ("wiener:nsr=0", "regularization"), ("wiener:noise-sigma=0", "regularization"), ("wiener:iterations=0", "iterations"),
            ("hyper-laplacian:alpha=5", "alpha"), ("hyper-laplacian:beta-max=0.5", "betaMax=0.5"),
            // A parameter that does nothing: CG steps of a one-shot filter (accepted and ignored before).
            ("tikhonov:iterations=12,boundary=reflect", "tikhonov parameter iterations: expected it only with boundary=masked"),
            ("wiener:boundary=circular,iterations=5", "boundary=circular is a one-shot filter"),
        ]
        for (spec, named) in cases {
            do {
                _ = try ClassicalMethods.make(spec: spec)
                Issue.record("\(spec) was accepted")
            } catch let error as DeconvolutionError {
                #expect(error.description.contains(named), "\(error)")
            } catch {
                Issue.record("\(spec): untyped error \(error)")
            }
        }
    }

    @Test func everyMethodHasATuningGridOfValidValues() throws {
        for name in ClassicalMethods.names {
            let grid = try #require(ClassicalMethods.tuningGrid(name))
            #expect(grid.values.count >= 5)
            for value in grid.values { _ = try ClassicalMethods.make(name, parameters: [grid.parameter: value]) }
        }
        #expect(ClassicalMethods.tuningGrid("cnn") == nil)
    }

    @Test func resolvedParametersSpellOutEveryDefaultAndBuildTheSameMethod() throws {
        let wiener = try ClassicalMethods.resolvedParameters("wiener", parameters: [:])
        #expect(wiener == ["nsr": "0.01", "boundary": "masked", "iterations": "30"])
        let sigma = try ClassicalMethods.resolvedParameters("wiener", parameters: ["noise-sigma": "0.02"])
        #expect(sigma == ["noise-sigma": "0.02", "boundary": "masked", "iterations": "30"])
        let hl = try ClassicalMethods.resolvedParameters("hyper-laplacian", parameters: ["boundary": "reflect"])
        #expect(hl["boundary"] == "reflect" && hl["lambda"] == "auto" && hl["alpha"] == "2/3")
        for name in ClassicalMethods.names {
            let resolved = try ClassicalMethods.resolvedParameters(name, parameters: [:])
            #expect(try ClassicalMethods.make(name, parameters: resolved).name == ClassicalMethods.make(name).name)
        }
        #expect(throws: DeconvolutionError.self) { try ClassicalMethods.resolvedParameters("rl", parameters: ["nsr": "1"]) }
    }
}


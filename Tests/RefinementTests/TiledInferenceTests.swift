import Testing
import DeblurCore
import _TestSupport
@testable import Refinement

@Suite struct TiledInferenceTests {
    @Test func tiledOutputEqualsUntiledOutput() {
        let net = tinyModel().network
        // 70 × 53: not a multiple of the tile or of 2^depth.
        let planes = (0..<3).map { randomImage(height: 70, width: 53, seed: 70 + UInt64($0)) }
        let whole = TiledInference.untiled.run(net, planes: planes)
        let tiled = TiledInference(tile: 16).run(net, planes: planes)
        #expect(whole.height == 70 && whole.width == 53)
        #expect(maxAbs(whole.pixels, tiled.pixels) < 1e-5)
        // A margin below the receptive field breaks the equality: the test can fail.
        let tooSmall = TiledInference(tile: 16, margin: 4).run(net, planes: planes)
        #expect(maxAbs(whole.pixels, tooSmall.pixels) > 1e-4)
        // A margin beyond the receptive field changes nothing, so it is not allocated: 2⁴⁰
        // overflowed the tile's size and trapped.
        let huge = TiledInference(tile: 16, margin: 1 << 40)
        #expect(huge.effectiveMargin(for: net) == TiledInference(tile: 16).effectiveMargin(for: net))
        #expect(huge.run(net, planes: planes).pixels == tiled.pixels)
    }

    @Test(arguments: [(2, 1), (1, 2), (3, 1), (2, 2)])
    func receptiveRadiusIsTheReachOfOneInputSample(depth: Int, convolutions: Int) {
        // Changing one input sample changes the output up to the receptive radius away and no
        // farther (the tiles' margin rests on it). Four positions cover the pooling grid's
        // phases. Beyond the reach only rounding moves (a Winograd tile's transforms mix its
        // inputs: bit changes up to 22 px away for (2, 1)), so a change counts above 10⁻⁴. The
        // radius was 19 for (2, 1), 13 here.
        let net = tinyModel(inputs: [.estimate, .noise], depth: depth, convolutions: convolutions).network
        let n = 72
        let planes = [randomImage(height: n, width: n, seed: 90), Image(height: 1, width: 1, value: 0.02)]
        let base = TiledInference.untiled.run(net, planes: planes)
        var reach = 0
        for (py, px) in [(36, 36), (37, 38), (38, 37), (39, 39)] {
            var moved = planes
            moved[0][py, px] += 0.5
            let out = TiledInference.untiled.run(net, planes: moved)
            for y in 0..<n { for x in 0..<n where abs(out[y, x] - base[y, x]) > 1e-4 { reach = max(reach, max(abs(y - py), abs(x - px))) } }
        }
        #expect(reach == TiledInference.receptiveRadius(of: net), "reach \(reach)")
    }

    @Test func oneByOnePlaneActsAsAConstantPlane() {
        let net = tinyModel().network
        let a = randomImage(height: 24, width: 20, seed: 75), b = randomImage(height: 24, width: 20, seed: 76)
        let full = TiledInference(tile: 16).run(net, planes: [a, b, Image(height: 24, width: 20, value: 0.02)])
        let broadcast = TiledInference(tile: 16).run(net, planes: [a, b, Image(height: 1, width: 1, value: 0.02)])
        #expect(full.pixels == broadcast.pixels)
    }

    @Test func memoryIsBoundedByTheTileNotTheImage() {
        let net = UNet(architecture: RefinerArchitecture(width: 8, depth: 2, convolutionsPerLevel: 1, inputs: [.estimate]), seed: 1)
        let small = UNetWorkspace(), large = UNetWorkspace()
        // Workspaces scale with the worker count: held still while other tests train end to end.
        BLAS.withThreads(BLAS.threads) {
            _ = TiledInference(tile: 32).run(net, planes: [randomImage(height: 64, width: 64, seed: 1)], workspace: small)
            _ = TiledInference(tile: 32).run(net, planes: [randomImage(height: 256, width: 192, seed: 2)], workspace: large)
        }
        // Array capacities may differ by a growth step; the image is 12× larger.
        #expect(Double(large.allocatedFloats) <= 1.1 * Double(small.allocatedFloats))
    }
}

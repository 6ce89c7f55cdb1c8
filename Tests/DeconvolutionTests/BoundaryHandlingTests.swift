import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution
import Foundation

/// A hand-made motion-like PSF: a 13-pixel line at a shallow angle in a 15×15 box.
func lineMotionPSF() -> PSF {
    var k = Image(height: 15, width: 15)
    for t in 0..<13 { k[7 + (t - 6) / 3, 1 + t] += 1 }
    return try! PSF(k)
}

@Suite struct BoundaryHandlingTests {
    /// One NaN made the clamping range NaN, and with it all 1024 samples of a 32² image.
    @Test func edgeTaperRefusesNonFiniteSamples() throws {
        var image = testScene(height: 32, width: 32, seed: 3)
        image[10, 10] = .nan
        #expect(throws: DeconvolutionError.invalidInput("the image contains NaN or infinite samples: expected finite values")) {
            try edgeTapered(image, psf: boxPSF(5))
        }
    }

    @Test func edgeTaperKeepsTheInteriorAndBlursTheOuterRing() throws {
        let image = testScene(height: 30, width: 34, seed: 2)
        let psf = boxPSF(5)
        let tapered = try edgeTapered(image, psf: psf)
        let blurred = naiveCircularConvolve(image, psf)
        // β vanishes at lags ≥ the PSF size: the interior is the image itself.
        #expect(maxAbsDifference(tapered.cropped(top: 5, left: 5, height: 20, width: 24),
                                 image.cropped(top: 5, left: 5, height: 20, width: 24)) < 1e-6)
        // β = 1 at lag 0, repeated at the far end: all four outermost rows and columns are the
        // circularly blurred copy (the last ones were 1 − β(1) original before 2026-11-27).
        for x in 0..<34 {
            #expect(abs(tapered[0, x] - blurred[0, x]) < 1e-5)
            #expect(abs(tapered[29, x] - blurred[29, x]) < 1e-5)
        }
        for y in 0..<30 {
            #expect(abs(tapered[y, 0] - blurred[y, 0]) < 1e-5)
            #expect(abs(tapered[y, 33] - blurred[y, 33]) < 1e-5)
        }
        // In between it is a convex blend of the two.
        let a = tapered[2, 10], lo = min(image[2, 10], blurred[2, 10]), hi = max(image[2, 10], blurred[2, 10])
        #expect(a >= lo - 1e-6 && a <= hi + 1e-6)
    }

    @Test func edgeTaperMatchesMATLABsEdgetaper() throws {
        // From `/tmp/peers/bin/python Tests/References/deconvolution_references.py` (edgetaper.m's
        // algorithm in NumPy): edgetaper(x, psf) for the asymmetric 5×3 PSF and for a 1×5 line,
        // which tapers the columns only.
        let matlabEdgetaper: [Float] = [0.6193493, 0.7918421, 0.7512742, 0.798011, 0.703348, 0.6754413, 0.6147627, 0.574004, 0.5761556, 0.5667408, 0.584785, 0.6010339, 0.5921423, 0.6068257, 0.5806373, 0.5749711, 0.5556156, 0.5237274, 0.5119034, 0.4822605, 0.7455033, 0.8284716, 0.7758414, 0.7322495, 0.647351, 0.6087927, 0.5851526, 0.5903059, 0.6017142, 0.6037154, 0.6049103, 0.6004598, 0.5997704, 0.6074183, 0.6042297, 0.6055423, 0.5837227, 0.5506038, 0.5112043, 0.570244, 0.7157628, 0.7654578, 0.704757, 0.5954816, 0.5196766, 0.5131976, 0.5618139, 0.6298515, 0.6803715, 0.6880513, 0.6441732, 0.5582209, 0.4569565, 0.3771504, 0.3503584, 0.3860926, 0.4644776, 0.5341905, 0.5246198, 0.6070799, 0.62531, 0.6184245, 0.5572932, 0.5028463, 0.5660392, 0.6765197, 0.7215267, 0.635809, 0.448459, 0.261341, 0.1788478, 0.2369546, 0.3786228, 0.4941938, 0.5015195, 0.4082217, 0.3067917, 0.3352025, 0.4693449, 0.470506, 0.4856803, 0.4638153, 0.5156453, 0.6583356, 0.8006245, 0.734709, 0.4624749, 0.1981499, 0.1546163, 0.3309172, 0.5257679, 0.5583936, 0.4570932, 0.4130717, 0.5526375, 0.779992, 0.867581, 0.6680359, 0.4741154, 0.5911384, 0.3547271, 0.3909945, 0.6417387, 0.8768316, 0.7614374, 0.3911958, 0.1803526, 0.3096347, 0.5217596, 0.5302821, 0.4277996, 0.5008747, 0.7460574, 0.8262119, 0.5540478, 0.1993586, 0.1544106, 0.4340237, 0.5553398, 0.4734715, 0.2813741, 0.4156382, 0.7782045, 0.8320928, 0.4729536, 0.2884992, 0.4320069, 0.4965075, 0.3772916, 0.4550367, 0.7678959, 0.8023677, 0.3962244, 0.1143029, 0.3425218, 0.6751079, 0.654828, 0.4969229, 0.4865018, 0.4194794, 0.3627566, 0.475984, 0.7386177, 0.5911105, 0.4434884, 0.5351467, 0.4159064, 0.255489, 0.5690571, 0.886949, 0.554637, 0.1414112, 0.3528616, 0.6863201, 0.5933536, 0.4945719, 0.5997446, 0.4609918, 0.4495872, 0.3592972, 0.4807195, 0.4997841, 0.5206048, 0.5075291, 0.6962984, 0.457574, 0.1460212, 0.5802412, 0.884992, 0.40624, 0.2186791, 0.5632777, 0.5837371, 0.5111402, 0.6345093, 0.3939433, 0.2043645, 0.6508999, 0.5682593, 0.5370847, 0.5653092, 0.4638339, 0.3081294, 0.7014941, 0.7282534, 0.1360788, 0.4246086, 0.8416463, 0.4310996, 0.354708, 0.5328717, 0.459464, 0.6691916, 0.5451385, 0.1489173, 0.6146278, 0.8441112, 0.2865458, 0.4704288, 0.4887269, 0.6135995, 0.4038193, 0.2750449, 0.8836615, 0.4452495, 0.2320049, 0.6974339, 0.517453, 0.4905094, 0.4282208, 0.4111979, 0.8070623, 0.3434312, 0.2424132, 0.8770249, 0.4459841, 0.2685781, 0.6357847, 0.4820077, 0.5239905, 0.6288681, 0.3783914, 0.4052175, 0.7743002, 0.3411617, 0.4987894, 0.476841, 0.6387875, 0.419221, 0.3141823, 0.8741251, 0.265484, 0.3898782, 0.8047661, 0.3019699, 0.5019246, 0.5221201, 0.5579882, 0.5264701, 0.5698091, 0.5558271, 0.4235585, 0.5070108, 0.5292832, 0.5651801, 0.3501858, 0.580333, 0.6322055, 0.1774526, 0.8275953, 0.3579593, 0.4214728, 0.6664975, 0.4037257, 0.4959435, 0.4907417, 0.6455548, 0.2917721, 0.4962886, 0.6374039, 0.4567689, 0.5101078, 0.4499309, 0.5079062, 0.6144976, 0.2572578, 0.7938905, 0.2665452, 0.5974512, 0.5343027, 0.4080545, 0.5588122, 0.5220742, 0.4211153, 0.5581001, 0.5409648, 0.3347389, 0.6905935, 0.4880964, 0.4831425, 0.3950246, 0.5857726, 0.3812415, 0.6454427, 0.4636009, 0.5382089, 0.5867316, 0.4680543, 0.5850574, 0.5044896, 0.49367, 0.5507218, 0.4330895, 0.5289946, 0.4504136, 0.452097, 0.508938, 0.40956, 0.4689029, 0.3818432, 0.5455182, 0.5378573, 0.7124079, 0.6681223, 0.7736683, 0.703617, 0.7506621, 0.6698035, 0.6461411, 0.5991869, 0.5274635, 0.4961696, 0.452943, 0.3898584, 0.4083289, 0.3357422, 0.3642318, 0.3564486, 0.3390137, 0.3417042]
        let matlabEdgetaperLine: [Float] = [0.4712619, 0.6055559, 0.7203532, 0.8107856, 0.8720586, 0.898998, 0.8895391, 0.8452837, 0.7701853, 0.670952, 0.556448, 0.4369017, 0.3229918, 0.2248935, 0.1513697, 0.109782, 0.1047708, 0.1386984, 0.2120456, 0.3248574, 0.7037098, 0.7944341, 0.8416672, 0.8263332, 0.7632132, 0.674733, 0.5867444, 0.5227748, 0.4995143, 0.5232238, 0.5881959, 0.6781516, 0.77023, 0.8405931, 0.8702755, 0.8487885, 0.7787232, 0.6763984, 0.5986469, 0.600811, 0.7827598, 0.8103073, 0.7448487, 0.6107277, 0.4956839, 0.4601749, 0.5172179, 0.6322063, 0.7443258, 0.7935188, 0.7488035, 0.6229237, 0.466438, 0.3440275, 0.3041645, 0.3576471, 0.4667583, 0.5588992, 0.6153064, 0.6762056, 0.7130489, 0.6938274, 0.5822753, 0.497823, 0.547891, 0.6752368, 0.746704, 0.6709198, 0.4657868, 0.2470966, 0.1444241, 0.2062776, 0.3659959, 0.4939696, 0.4965075, 0.3864035, 0.2815515, 0.3102904, 0.4590681, 0.6169648, 0.490624, 0.5178682, 0.5377859, 0.6551073, 0.7981533, 0.7395384, 0.4652212, 0.1952173, 0.1490265, 0.3283134, 0.5270399, 0.5591003, 0.4540942, 0.4091542, 0.5533486, 0.784178, 0.8563223, 0.6739556, 0.4751592, 0.417224, 0.4619116, 0.4639327, 0.6266583, 0.8505741, 0.7567604, 0.3911958, 0.1803526, 0.3096347, 0.5217596, 0.5302821, 0.4277996, 0.5008747, 0.7460574, 0.8262119, 0.5540478, 0.2049976, 0.177441, 0.4120599, 0.5350048, 0.5123568, 0.3933077, 0.4505401, 0.712696, 0.8042131, 0.4753739, 0.2884992, 0.4320069, 0.4965075, 0.3772916, 0.4550367, 0.7678959, 0.8023677, 0.3962244, 0.1143029, 0.3425218, 0.669567, 0.6445243, 0.5348879, 0.5393964, 0.4796356, 0.3191182, 0.4521829, 0.6743937, 0.58876, 0.446463, 0.5351467, 0.4159064, 0.255489, 0.5690571, 0.886949, 0.554637, 0.1414112, 0.3528616, 0.6863201, 0.5933536, 0.4967018, 0.5855142, 0.4418101, 0.2987059, 0.3337306, 0.3975792, 0.4537229, 0.5224949, 0.5133094, 0.6902661, 0.457574, 0.1460212, 0.5802412, 0.884992, 0.40624, 0.2186791, 0.5632777, 0.5837371, 0.5111402, 0.6345093, 0.3958952, 0.2413911, 0.6222661, 0.6412499, 0.456943, 0.4996159, 0.4848334, 0.3768011, 0.6774992, 0.7206486, 0.1360788, 0.4246086, 0.8416463, 0.4310996, 0.354708, 0.5328717, 0.459464, 0.6691916, 0.5451385, 0.1489173, 0.6111334, 0.8001239, 0.3485661, 0.4282929, 0.5199913, 0.5625257, 0.4586978, 0.3489607, 0.8324743, 0.4471887, 0.2320049, 0.6974339, 0.517453, 0.4905094, 0.4282208, 0.4111979, 0.8070623, 0.3434312, 0.2424132, 0.8770249, 0.4479469, 0.2989049, 0.5896347, 0.5382886, 0.5757197, 0.5598385, 0.4267364, 0.4348153, 0.7413815, 0.3428319, 0.5003946, 0.4757748, 0.6396949, 0.4210551, 0.3075066, 0.882639, 0.2617486, 0.3859383, 0.8118316, 0.2981811, 0.5020092, 0.5179406, 0.5521004, 0.4839854, 0.4834157, 0.6220945, 0.4504027, 0.5141209, 0.5246614, 0.5664587, 0.3455626, 0.5727358, 0.6621028, 0.1314739, 0.8677743, 0.3440161, 0.4088979, 0.6856521, 0.3971524, 0.4922593, 0.4833265, 0.6578935, 0.3074974, 0.6320821, 0.5627401, 0.5496932, 0.5220489, 0.4751479, 0.4877923, 0.6669483, 0.1650522, 0.8958562, 0.1880918, 0.6297747, 0.544729, 0.3836457, 0.5627599, 0.5520553, 0.3778923, 0.5718728, 0.5889342, 0.2544891, 0.736754, 0.3886471, 0.5745151, 0.4659141, 0.5738577, 0.3438788, 0.6727867, 0.4213953, 0.44782, 0.6516238, 0.3191612, 0.6314813, 0.4735312, 0.4108589, 0.6660756, 0.3295505, 0.5972468, 0.5276781, 0.347247, 0.7128104, 0.3435485, 0.5593974, 0.4747718, 0.3710625, 0.6089562, 0.2624752, 0.792941, 0.2508293, 0.6630512, 0.4304735, 0.4926335, 0.5555631, 0.4308129, 0.549594, 0.4949883, 0.4488499, 0.6029943, 0.3646855, 0.6321877, 0.4118699, 0.5180549, 0.4779694, 0.4163117]
        let image = Image(height: 16, width: 20) { _, i, j in
            Float(0.5 + 0.4 * sin(0.7 * Double(i) + 0.3 * Double(j)) * cos(0.2 * Double(i * j)))
        }
        let line = try PSF(Image(height: 1, width: 5, pixels: [0.1, 0.2, 0.4, 0.2, 0.1]))
        #expect(maxAbsDifference(try edgeTapered(image, psf: asymmetricPSF()).pixels, matlabEdgetaper) < 1e-6)
        #expect(maxAbsDifference(try edgeTapered(image, psf: line).pixels, matlabEdgetaperLine) < 1e-6)
    }

    @Test func reflectDomainPadsBeyondThePSFToAFastSizeAndRemovesTheSeam() throws {
        let plane = testScene(height: 21, width: 26, seed: 5)
        let domain = try RestorationDomain(height: 21, width: 26, psf: boxPSF(7), boundary: .reflect)
        #expect(domain.paddedHeight == FFT.preferredSize(21 + 14) && domain.paddedWidth == FFT.preferredSize(26 + 14))
        #expect(domain.top >= 7 && domain.left >= 7)
        var buffer = [Float](repeating: .nan, count: domain.paddedCount)
        buffer.withUnsafeMutableBufferPointer { b in plane.withUnsafeBufferPointer { domain.embed($0, into: b.baseAddress!) } }
        let padded = Image(height: domain.paddedHeight, width: domain.paddedWidth, pixels: buffer)
        #expect(maxAbsDifference(padded.cropped(top: domain.top, left: domain.left, height: 21, width: 26), plane) == 0)
        // The periodic wrap-around (last row to first row) is nearly continuous.
        let mean = plane.statistics().mean
        for x in 0..<domain.paddedWidth {
            #expect(abs(Double(padded[domain.paddedHeight - 1, x]) - mean) < 0.1)
            #expect(abs(Double(padded[0, x]) - mean) < 0.1)
        }
        let outside = domain.top - 1
        // Next to the window the padding follows the reflection (weight close to 1).
        #expect(abs(padded[outside, domain.left + 3] - plane[0, 3]) < 0.05)
    }

    @Test func maskedDomainCoversTheSceneOfAValidObservation() throws {
        let domain = try RestorationDomain(height: 40, width: 50, psf: lineMotionPSF(), boundary: .masked)
        #expect(domain.paddedHeight >= 40 + 14 && domain.paddedWidth >= 50 + 14)
        #expect(domain.top == 7 && domain.left == 7)
    }

    /// The default boundary handling of every method on `valid`-protocol data (the observation
    /// is the valid part of the blur of a larger scene): no border ringing, i.e. far above the
    /// circular assumption on noise-free data and never below it. Prints the PSNR of every mode (Docs/Methods.md quotes this table).
    @Test func defaultBoundariesBeatCircularOnValidProtocolData() throws {
        let scene = testScene(height: 160, width: 170, seed: 31)
        for (psfName, psf) in [("box 7×7", boxPSF(7)), ("line motion 15×15", lineMotionPSF())] {
            for sigma in [0.0, 0.01] {
                var observed = naiveValidConvolve(scene, psf)
                var rng = SeededRandom(seed: 1)
                for i in observed.pixels.indices { observed.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
                let truth = scene.cropped(top: psf.centerY, left: psf.centerX, height: observed.height, width: observed.width)
                var table = "valid protocol, \(psfName), σ = \(sigma): blurred \(String(format: "%.2f", psnr(observed, truth))) dB"
                let methods: [(String, (BoundaryHandling) -> any Restorer, any Restorer)] = [
                    ("wiener nsr=0.01", { Wiener(nsr: 0.01, boundary: $0) }, Wiener(nsr: 0.01)),
                    ("wiener nsr=auto", { Wiener(noiseToSignal: .automatic, boundary: $0) }, Wiener(noiseToSignal: .automatic)),
                    ("tikhonov λ=0.002", { Tikhonov(lambda: 0.002, boundary: $0) }, Tikhonov(lambda: 0.002)),
                    ("hyper-laplacian", { HyperLaplacian(boundary: $0) }, HyperLaplacian()),
                    ("rl 30", { RichardsonLucy(iterations: 30, boundary: $0) }, RichardsonLucy(iterations: 30)),
                ]
                for (label, make, byDefault) in methods {
                    table += "\n  \(label):"
                    var circular = 0.0
                    for mode in BoundaryHandling.allCases {
                        guard let restored = try? make(mode).restore(observed, psf: psf) else { table += " \(mode.rawValue) n/a"; continue }
                        let value = psnr(restored, truth)
                        if mode == .circular { circular = value }
                        table += " \(mode.rawValue) \(String(format: "%.2f", value))"
                    }
                    let defaultPSNR = psnr(try byDefault.restore(observed, psf: psf), truth)
                    // Noise-free, border ringing dominates the circular error; with noise a strongly
                    // regularized method hides it, but the default must never be worse.
                    #expect(defaultPSNR > circular + (sigma == 0 ? 3 : 0), "\(label) on \(psfName) σ \(sigma)")
                }
                print(table)
            }
        }
    }
}

@Suite struct ValidProtocolAgreementTests {
    /// The synthesis module's `valid` blur and the masked model must agree on geometry and
    /// alignment, or restored images would be shifted against the dataset's sharp crops.
    @Test func synthesisValidBlurEqualsTheNaiveValidConvolution() throws {
        let scene = testScene(height: 30, width: 36, seed: 8)
        let psf = lineMotionPSF()
        let fromSynthesis = try blur(scene, psf: psf, boundary: .valid)
        let naive = naiveValidConvolve(scene, psf)
        #expect(fromSynthesis.height == naive.height && fromSynthesis.width == naive.width)
        #expect(maxAbsDifference(fromSynthesis, naive) < 1e-5)
    }
}

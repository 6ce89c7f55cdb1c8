import Testing
import Foundation
import DeblurCore
import DeblurIO
@testable import Refinement

func tinyModel(seed: UInt64 = 61, inputs: [RefinerInput] = [.estimate, .blurred, .noise], depth: Int = 2,
               convolutions: Int = 1) -> RefinerModel {
    var net = UNet(architecture: RefinerArchitecture(width: 4, depth: depth, convolutionsPerLevel: convolutions, inputs: inputs,
                                                     leakySlope: 0.1), seed: seed)
    var rng = SeededRandom(seed: seed + 1)
    for i in 0..<net.head.parameterCount { net.parameters[net.head.offset + i] = Float(rng.gaussian() * 0.3) }
    return RefinerModel(header: ModelHeader(architecture: net.architecture, base: BaseMethod(name: "wiener", parameters: ["nsr": "0.01"]),
                                            training: ["seed": .number(Double(seed))], metrics: ["psnr": 30.5]),
                        network: net)
}

/// A path in a directory of its own, so that tests running at once never share a file and
/// `removeTemporary` can delete everything a test wrote next to it (checkpoints, logs).
func temporaryPath(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "deblurkit-refinement-tests-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

func removeTemporary(_ path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

@Suite struct ModelFileTests {
    @Test func saveThenLoadGivesIdenticalWeightsHeaderAndOutputs() throws {
        var model = tinyModel()
        // The trainer records its UInt64 seed; one above 2⁵³ must come back digit for digit.
        model.header.training["seed"] = .integer((1 << 53) + 1)
        let path = temporaryPath("roundtrip.model")
        defer { removeTemporary(path) }
        try ModelFile.write(model, extra: [("optimizer.0", [1, 2, 3])], to: path)
        let (loaded, extra) = try ModelFile.read(path)
        #expect(loaded.network.parameters == model.network.parameters)
        #expect(loaded.header.architecture == model.header.architecture)
        #expect(loaded.header.base == model.header.base)
        #expect(loaded.header.metrics == ["psnr": 30.5])
        #expect(loaded.header.training["seed"] == .largeInteger(9_007_199_254_740_993))
        #expect(extra["optimizer.0"] == [1, 2, 3])
        let x = randomTensor(1, 3, 8, 8, seed: 62, lo: 0, hi: 1)
        #expect(loaded.network(x).data == model.network(x).data)
    }

    @Test func weightsAreLittleEndianFloat32AfterTheHeader() throws {
        let model = tinyModel()
        let bytes = [UInt8](try ModelFile.encode(model))
        #expect(Array(bytes[0..<8]) == Array("DBKMODEL".utf8))
        let headerLength = Int(ModelFile.readUInt32(bytes, 12))
        let first = Float(bitPattern: ModelFile.readUInt32(bytes, 16 + headerLength))
        #expect(first == model.network.parameters[0])
        #expect(bytes.count == 16 + headerLength + 4 * model.network.parameterCount + 8)
    }

    @Test func architectureParameterCountIsTheBuiltNetworksWithoutBuildingIt() {
        for width in [1, 3, 8] {
            for depth in 0...3 {
                for convolutions in 1...3 {
                    for inputs: [RefinerInput] in [[.estimate], [.estimate, .noise], [.estimate, .blurred, .noise]] {
                        let architecture = RefinerArchitecture(width: width, depth: depth, convolutionsPerLevel: convolutions, inputs: inputs)
                        #expect(architecture.parameterCount == UNet(architecture: architecture, parameters: nil).parameterCount, "\(architecture)")
                    }
                }
            }
        }
        #expect(RefinerArchitecture.standard.parameterCount == UNet(architecture: .standard, parameters: nil).parameterCount)
    }

    /// Any file given as a model was read whole before its first bytes were looked at: a 3 GB
    /// file took 102 s and 6.3 GB of memory to be refused for its magic, and one larger than the
    /// memory could not be refused at all. Here sparse files of 1 TiB: one of zeros, and a whole
    /// model followed by zeros, each refused from its first bytes and header.
    @Test func aFileFarLargerThanItsHeaderSaysIsRefusedWithoutReadingIt() throws {
        let path = temporaryPath("huge.model")
        defer { removeTemporary(path) }
        let size: UInt64 = 1 << 40
        for start in [Data(), try ModelFile.encode(tinyModel())] {
            #expect(FileManager.default.createFile(atPath: path, contents: start))
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: size)
            try handle.close()
            let reason = start.isEmpty ? "not a DeblurKit model file (no DBKMODEL magic)" : "\(size - UInt64(start.count)) unexpected trailing bytes"
            #expect(throws: RefinementError.invalidModelFile(path: path, reason: reason)) { try ModelFile.read(path) }
        }
    }

    /// "cannot be read (missing or not readable)" was said of a folder and a device as well.
    @Test func whatCannotBeReadAsAModelFileIsSaid() throws {
        let missing = temporaryPath("missing.model")
        defer { removeTemporary(missing) }
        let folder = (missing as NSString).deletingLastPathComponent
        for (path, reason) in [(missing, "cannot be read (no such file or directory)"), (folder, "cannot be read (is a directory)"),
                               ("/dev/null", "a device, not a file")] {
            #expect(throws: RefinementError.invalidModelFile(path: path, reason: reason)) { try ModelFile.read(path) }
        }
    }

    @Test func truncatedCorruptedWrongVersionAndMismatchedFilesAreRejected() throws {
        let good = [UInt8](try ModelFile.encode(tinyModel()))
        func rejects(_ bytes: [UInt8], _ fragment: String) {
            do {
                _ = try ModelFile.decode(Data(bytes), path: "m.model")
                Issue.record("accepted a bad file (\(fragment))")
            } catch let error as RefinementError {
                #expect(error.description.contains(fragment), "\(error)")
                #expect(error.description.contains("m.model"))
            } catch { Issue.record("unexpected \(error)") }
        }
        rejects(Array(good.prefix(good.count - 100)), "truncated")
        var flipped = good; flipped[good.count - 40] ^= 0x10
        rejects(flipped, "checksum")
        var version = good; version[8] = 2
        rejects(version, "version 2")
        rejects(Array("not a model at all, just text".utf8), "magic")
        // A header whose architecture does not match the weights that follow.
        let headerLength = Int(ModelFile.readUInt32(good, 12))
        var header = String(decoding: good[16 ..< 16 + headerLength], as: UTF8.self)
        header = header.replacingOccurrences(of: "\"width\" : 4", with: "\"width\" : 5")
        var mismatched = Array(good[0..<12])
        ModelFile.append(UInt32(header.utf8.count), to: &mismatched)
        mismatched += Array(header.utf8) + good[(16 + headerLength) ..< (good.count - 8)]
        ModelFile.append(ModelFile.fnv1a(mismatched[...]), to: &mismatched)
        rejects(mismatched, "parameters")
        // A tensor count near Int.max once overflowed the size arithmetic (a trap, not an error).
        for count in ["4611686018427387904", "-5"] {
            let huge = header.replacing(try Regex(#""count" : \d+"#), with: "\"count\" : \(count)", maxReplacements: 1)
            #expect(huge != header)
            var bytes = Array(good[0..<12])
            ModelFile.append(UInt32(huge.utf8.count), to: &bytes)
            bytes += Array(huge.utf8) + good[(16 + headerLength)...]
            rejects(bytes, "claims \(count) floats")
        }
        // A header naming the largest architecture over the same few weights: its 2 TB of
        // weights were allocated before the count was compared (the process aborted).
        let widest = header.replacingOccurrences(of: "\"width\" : 5", with: "\"width\" : 1024")
            .replacingOccurrences(of: "\"depth\" : 2", with: "\"depth\" : 6")
            .replacingOccurrences(of: "\"convolutionsPerLevel\" : 1", with: "\"convolutionsPerLevel\" : 8")
        var hostile = Array(good[0..<12])
        ModelFile.append(UInt32(widest.utf8.count), to: &hostile)
        hostile += Array(widest.utf8) + good[(16 + headerLength) ..< (good.count - 8)]
        ModelFile.append(ModelFile.fnv1a(hostile[...]), to: &hostile)
        let widestCount = RefinerArchitecture(width: 1024, depth: 6, convolutionsPerLevel: 8, leakySlope: 0.1).parameterCount
        #expect(widestCount > 500_000_000_000)
        rejects(hostile, "needs \(widestCount) parameters, the file holds \(tinyModel().network.parameterCount)")
        // A named pipe: opening it waited for a writer forever.
        let pipe = temporaryPath("pipe.model")
        defer { removeTemporary(pipe) }
        #expect(mkfifo(pipe, 0o600) == 0)
        #expect(throws: RefinementError.invalidModelFile(path: pipe, reason: "a pipe, not a file: save it to a file first")) { try ModelFile.read(pipe) }
        let missing = temporaryPath("does-not-exist.model")
        defer { removeTemporary(missing) }
        #expect(throws: RefinementError.self) { try ModelFile.read(missing) }
    }
}

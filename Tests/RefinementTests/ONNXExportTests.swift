import Testing
import Foundation
import DeblurCore
import Datasets
@testable import Refinement

@Suite struct ONNXExportTests {
    @Test func varintsAndFieldKeysFollowTheWireFormat() {
        var p = Proto()
        p.varint(1, 300)
        p.string(2, "ab")
        p.fixed32(3, 0x3F80_0000)
        #expect(p.data == [0x08, 0xAC, 0x02, 0x12, 0x02, 0x61, 0x62, 0x1D, 0x00, 0x00, 0x80, 0x3F])
    }

    /// onnxruntime's output on the exported tiny model, for the input built below
    /// (Tests/RefinementReference/onnx_reference.py regenerates these from the files this test
    /// keeps when DEBLURKIT_KEEP_TEST_FILES is set).
    static let onnxruntimeSamples: [Float] = [-0.5508062839508057, -1.6451754570007324, -1.1504182815551758, -1.0112924575805664, -0.49573004245758057]
    /// The SHA-256 of the file onnxruntime read for them. The samples above compare the Swift
    /// network with onnxruntime, not the file written now: a wrong attribute in the export
    /// (a convolution's pads [p, p, 0, 0]) passed. Any change of the export's bytes must be
    /// checked again with the script, which prints both.
    static let verifiedExportSHA256 = "9dd426c390bdbdd841b0c7b0ab427a8a9e025ec3c5edd3a679edd8cd3044f5cd"

    @Test func exportedGraphComputesTheNetworkAccordingToOnnxruntime() throws {
        let model = tinyModel()
        // The producer version of the checked file, whatever the toolkit's version now.
        let data = ONNXExport.encode(model, producerVersion: "0.1.0")
        #expect(SHA256.hex(Data(data)) == Self.verifiedExportSHA256)
        let dir = temporaryPath("onnx")
        defer {
            if let kept = ProcessInfo.processInfo.environment["DEBLURKIT_KEEP_TEST_FILES"], !kept.isEmpty { print("kept \(dir)") } else { removeTemporary(dir) }
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: dir + "/tiny.onnx"))
        let x = randomTensor(1, 3, 16, 12, seed: 81, lo: 0, hi: 1)
        try Data(x.data.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }).write(to: URL(fileURLWithPath: dir + "/input.f32"))
        let y = model.network(x)
        #expect(y.shape == [1, 1, 16, 12])
        let indices = [0, 7, 50, 101, 191]
        #expect(Self.onnxruntimeSamples.count == indices.count)
        for (k, i) in indices.enumerated() where k < Self.onnxruntimeSamples.count {
            #expect(abs(y.data[i] - Self.onnxruntimeSamples[k]) < 1e-5)
        }
    }
}

import DeblurCore
import DeblurIO
import Foundation

/// The classical method a refiner runs first, with its parameters (`ClassicalMethods.make`).
public struct BaseMethod: Sendable, Codable, Equatable {
    public var name: String
    public var parameters: [String: String]
    public init(name: String = "wiener", parameters: [String: String] = [:]) {
        self.name = name; self.parameters = parameters
    }
}

/// What a model's network does, which decides how `deblur refine` and `compare --methods cnn`
/// use it.
public enum RefinerTask: String, Sendable, Codable, CaseIterable {
    /// Refines the estimate of the header's classical base method (`Refiner`).
    case refine
    /// Removes Gaussian noise of the level in its noise plane; restored images come from
    /// plug-and-play half-quadratic splitting around it (`PlugAndPlayRestorer`). The header's
    /// base is not run.
    case denoise
}

/// The self-describing JSON header of a model file (see Docs/CNN.md, "Model file").
public struct ModelHeader: Sendable, Codable, Equatable {
    /// Always `"deblurkit-refiner"`.
    public var format: String = ModelFile.formatName
    public var version: Int = ModelFile.version
    public var architecture: RefinerArchitecture
    public var base: BaseMethod
    /// Nil (absent in the file) for a refiner, as in files written before denoisers existed.
    public var task: RefinerTask?
    /// Training data and settings (seed, steps, loss, optimizer, learning rate, patch size, data source…).
    public var training: [String: JSONValue]
    /// Validation metrics of the saved weights (psnr, ssim, base_psnr, loss…).
    public var metrics: [String: Double]
    /// The DeblurKit version that wrote the file.
    public var toolVersion: String = DeblurKitVersion.string
    /// The Float32 arrays that follow the header, in order: `parameters` first, then any
    /// optimizer state of a checkpoint (`optimizer.0`, `optimizer.1`).
    public var tensors: [TensorEntry]

    public struct TensorEntry: Sendable, Codable, Equatable {
        public var name: String
        public var count: Int
    }

    enum CodingKeys: String, CodingKey {
        case format, version, architecture, base, task, training, metrics, tensors
        case toolVersion = "tool_version"
    }

    public init(architecture: RefinerArchitecture, base: BaseMethod, task: RefinerTask? = nil, training: [String: JSONValue] = [:],
                metrics: [String: Double] = [:], tensors: [TensorEntry] = []) {
        self.architecture = architecture; self.base = base; self.task = task; self.training = training
        self.metrics = metrics; self.tensors = tensors
    }

    /// The task, `.refine` when the file names none.
    public var resolvedTask: RefinerTask { task ?? .refine }
}

/// A trained refiner: its header and its network.
public struct RefinerModel: Sendable {
    public var header: ModelHeader
    public var network: UNet

    public init(header: ModelHeader, network: UNet) {
        precondition(header.architecture == network.architecture, "header and network architectures differ")
        self.header = header; self.network = network
    }
}

/// Reading and writing model files:
///
/// ```
/// "DBKMODEL"            8 bytes magic
/// version               UInt32 little-endian (1)
/// header length         UInt32 little-endian, bytes of UTF-8 JSON
/// header                ModelHeader as JSON
/// tensors               for each header.tensors entry: count × Float32 little-endian
/// checksum              UInt64 little-endian FNV-1a over every byte before it
/// ```
public enum ModelFile {
    public static let formatName = "deblurkit-refiner"
    public static let version = 1
    /// The first bytes of every model file.
    public static let magic = Array("DBKMODEL".utf8)

    /// Writes `model` (and optional named extra arrays, e.g. optimizer state) atomically.
    public static func write(_ model: RefinerModel, extra: [(name: String, values: [Float])] = [], to path: String) throws {
        let data = try encode(model, extra: extra)
        try writeAtomically(data, to: path)
    }

    /// The file's bytes.
    public static func encode(_ model: RefinerModel, extra: [(name: String, values: [Float])] = []) throws -> Data {
        var header = model.header
        header.tensors = [.init(name: "parameters", count: model.network.parameterCount)] + extra.map { .init(name: $0.name, count: $0.values.count) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json = try encoder.encode(header)
        var bytes = [UInt8]()
        bytes.reserveCapacity(24 + json.count + 4 * header.tensors.reduce(0) { $0 + $1.count })
        bytes += magic
        append(UInt32(version), to: &bytes)
        append(UInt32(json.count), to: &bytes)
        bytes += json
        for values in [model.network.parameters] + extra.map(\.values) {
            for v in values { append(v.bitPattern, to: &bytes) }
        }
        append(fnv1a(bytes[...]), to: &bytes)
        return Data(bytes)
    }

    /// Reads a model file; extra arrays come back by name.
    /// - Throws: `RefinementError.invalidModelFile` for a missing, unreadable, truncated,
    ///   corrupted, wrong-version or inconsistent file, naming the path and the problem.
    public static func read(_ path: String) throws -> (model: RefinerModel, extra: [String: [Float]]) {
        func fail(_ reason: String) -> RefinementError { .invalidModelFile(path: path, reason: reason) }
        if let kind = streamKind(of: path) { throw fail("\(kind), not a file: save it to a file first") }
        // The file is read whole only once its first bytes and header account for its size: any
        // file given as a model (a 3 GB video) was read into memory first (102 s, 6.3 GB of
        // memory) and then refused for its first 8 bytes; one larger than the memory was killed.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("cannot be read (\(systemErrorReason(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw fail("cannot be read (\(systemErrorReason(errno)))") }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw fail("cannot be read (is a directory)")
        default: throw fail("a device, not a file")
        }
        let size = Int(status.st_size)
        func bytes(_ count: Int) throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(done)) }
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { throw fail(got == 0 ? "truncated while it was read" : "cannot be read (\(systemErrorReason(errno)))") }
                done += got
            }
            return buffer
        }
        let headerLength = try checkPreamble(try bytes(min(size, 16)), fileSize: size, fail: fail)
        _ = try checkHeader(try bytes(16 + headerLength), headerLength: headerLength, fileSize: size, fail: fail)
        let data: Data
        do { data = try readWhole(path) } catch CoreError.readFailed(_, let reason) { throw fail("cannot be read (\(reason))") }
        return try decode(data, path: path)
    }

    /// Checks the magic, the version and that the header fits in a file of `fileSize` bytes,
    /// from the first 16 bytes (`prefix` may hold more); returns the header's length.
    private static func checkPreamble(_ prefix: [UInt8], fileSize: Int, fail: (String) -> RefinementError) throws -> Int {
        guard prefix.count >= 16, Array(prefix[0..<8]) == magic else { throw fail("not a DeblurKit model file (no DBKMODEL magic)") }
        let fileVersion = Int(readUInt32(prefix, 8))
        guard fileVersion == version else { throw fail("format version \(fileVersion), this DeblurKit reads version \(version)") }
        let headerLength = Int(readUInt32(prefix, 12))
        guard 16 + headerLength + 8 <= fileSize else { throw fail("truncated: \(fileSize) bytes, the header alone needs \(16 + headerLength + 8)") }
        return headerLength
    }

    /// Decodes and checks the header (`prefix` holds at least its first 16 + `headerLength`
    /// bytes) against the architecture and a file of `fileSize` bytes, before any weight is read.
    private static func checkHeader(_ prefix: [UInt8], headerLength: Int, fileSize: Int,
                                    fail: (String) -> RefinementError) throws -> ModelHeader {
        let header: ModelHeader
        do {
            header = try JSONDecoder().decode(ModelHeader.self, from: Data(prefix[16 ..< 16 + headerLength]))
        } catch {
            throw fail("header is not valid JSON for a model: \(error)")
        }
        guard header.format == formatName else { throw fail("format '\(header.format)', expected '\(formatName)'") }
        guard header.version == version else { throw fail("header version \(header.version), expected \(version)") }
        if let problem = header.architecture.problem { throw fail("architecture: \(problem)") }
        // Counts come from the file: a negative one, or one larger than the file could hold, is
        // a corrupted header, said before any arithmetic on it can overflow.
        if let bad = header.tensors.first(where: { $0.count < 0 || $0.count > fileSize / 4 }) {
            throw fail("tensor '\(bad.name)' claims \(bad.count) floats, but the file has \(fileSize) bytes")
        }
        // Before the weights are read or a network built: a header naming a huge architecture
        // over a few floats would otherwise allocate that architecture's weights first.
        let expectedCount = header.architecture.parameterCount
        if let parameters = header.tensors.first(where: { $0.name == "parameters" }), parameters.count != expectedCount {
            throw fail("architecture \(header.architecture) needs \(expectedCount) parameters, the file holds \(parameters.count)")
        }
        let floats = header.tensors.reduce(0) { $0 + $1.count }
        let expected = 16 + headerLength + 4 * floats + 8
        guard fileSize == expected else {
            throw fail(fileSize < expected ? "truncated: \(fileSize) bytes, expected \(expected)" : "\(fileSize - expected) unexpected trailing bytes")
        }
        return header
    }

    public static func decode(_ data: Data, path: String = "<memory>") throws -> (model: RefinerModel, extra: [String: [Float]]) {
        func fail(_ reason: String) -> RefinementError { .invalidModelFile(path: path, reason: reason) }
        let bytes = [UInt8](data)
        let headerLength = try checkPreamble(bytes, fileSize: bytes.count, fail: fail)
        let header = try checkHeader(bytes, headerLength: headerLength, fileSize: bytes.count, fail: fail)
        let expected = bytes.count
        let stored = readUInt64(bytes, expected - 8)
        let computed = fnv1a(bytes[0 ..< expected - 8])
        guard stored == computed else { throw fail("checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16))): the file is corrupted") }
        var offset = 16 + headerLength
        var arrays: [String: [Float]] = [:]
        for entry in header.tensors {
            var values = [Float](repeating: 0, count: entry.count)
            for i in 0..<entry.count { values[i] = Float(bitPattern: readUInt32(bytes, offset + 4 * i)) }
            offset += 4 * entry.count
            arrays[entry.name] = values
        }
        let expectedCount = header.architecture.parameterCount
        guard let parameters = arrays.removeValue(forKey: "parameters") else { throw fail("no 'parameters' tensor") }
        // Checked again: with two tensors named "parameters" the last one is kept.
        guard parameters.count == expectedCount else {
            throw fail("architecture \(header.architecture) needs \(expectedCount) parameters, the file holds \(parameters.count)")
        }
        guard parameters.allSatisfy({ $0.isFinite }) else { throw fail("weights contain NaN or infinity") }
        return (RefinerModel(header: header, network: UNet(architecture: header.architecture, parameters: parameters)), arrays)
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    static func readUInt32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    static func readUInt64(_ b: [UInt8], _ i: Int) -> UInt64 {
        UInt64(readUInt32(b, i)) | UInt64(readUInt32(b, i + 4)) << 32
    }

    /// FNV-1a, 64 bits (Fowler, Noll & Vo): detects truncation and bit flips, not tampering.
    static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}

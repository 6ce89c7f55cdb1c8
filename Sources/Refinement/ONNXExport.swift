import DeblurCore
import Foundation

/// Writes a refiner network as an ONNX graph (opset 13, IR version 7) straight from Swift:
/// the protobuf wire format is emitted by hand (varints and length-delimited fields), no
/// generator or library involved.
///
/// Graph inputs are the network's planes by name (`estimate`, `blurred`, `noise`), each
/// `N × 1 × H × W` float with symbolic `N`, `H`, `W` (`H`, `W` multiples of `2^depth`);
/// the output `output` is `N × 1 × H × W`. Operators: Concat, Conv, Relu/LeakyRelu,
/// MaxPool, ConvTranspose, Add. onnxruntime's output equals `UNet.forward` to ~1e-6
/// (Examples/onnx/verify.py checks 1e-4).
///
/// Reference: ONNX IR specification, onnx/onnx.proto (field numbers below).
public enum ONNXExport {
    public static let opset = 13
    public static let irVersion = 7

    /// The serialized `ModelProto` of `model`'s network.
    public static func encode(_ model: RefinerModel) -> Data { encode(model, producerVersion: DeblurKitVersion.string) }

    /// The same, naming another producer version: the tests pin the bytes of an export that
    /// onnxruntime checked, which a release's version number alone would otherwise change.
    static func encode(_ model: RefinerModel, producerVersion: String) -> Data {
        let net = model.network
        let a = net.architecture
        var nodes: [[UInt8]] = []
        var initializers: [[UInt8]] = []
        var counter = 0
        func fresh(_ prefix: String) -> String { counter += 1; return "\(prefix)_\(counter)" }

        func conv(_ layer: Conv2D, _ input: String, activate: Bool) -> String {
            let name = fresh("conv")
            let k = layer.geometry.kernel, p = layer.geometry.padding, s = layer.geometry.stride
            initializers.append(tensor(name + ".weight", dims: [layer.outChannels, layer.inChannels, k, k],
                                       Array(net.parameters[layer.offset ..< layer.offset + layer.weightCount])))
            initializers.append(tensor(name + ".bias", dims: [layer.outChannels],
                                       Array(net.parameters[layer.biasOffset ..< layer.biasOffset + layer.outChannels])))
            nodes.append(node("Conv", inputs: [input, name + ".weight", name + ".bias"], outputs: [name], name: name,
                              attributes: [ints("kernel_shape", [k, k]), ints("pads", [p, p, p, p]), ints("strides", [s, s])]))
            guard activate else { return name }
            let act = name + ".act"
            if net.activation.slope == 0 {
                nodes.append(node("Relu", inputs: [name], outputs: [act], name: act))
            } else {
                nodes.append(node("LeakyRelu", inputs: [name], outputs: [act], name: act, attributes: [float("alpha", net.activation.slope)]))
            }
            return act
        }

        var current: String
        if a.inputs.count == 1 {
            current = a.inputs[0].rawValue
        } else {
            current = "input_planes"
            nodes.append(node("Concat", inputs: a.inputs.map(\.rawValue), outputs: [current], name: "concat_inputs", attributes: [int("axis", 1)]))
        }
        var skips: [String] = []
        for l in 0..<a.depth {
            for layer in net.encoder[l] { current = conv(layer, current, activate: true) }
            skips.append(current)
            let pooled = fresh("maxpool")
            nodes.append(node("MaxPool", inputs: [current], outputs: [pooled], name: pooled,
                              attributes: [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]))
            current = pooled
        }
        for layer in net.bottleneck { current = conv(layer, current, activate: true) }
        for l in (0..<a.depth).reversed() {
            let t = net.up[l]
            let name = fresh("convtranspose")
            let k = t.geometry.kernel, s = t.geometry.stride, p = t.geometry.padding
            initializers.append(tensor(name + ".weight", dims: [t.inChannels, t.outChannels, k, k],
                                       Array(net.parameters[t.offset ..< t.offset + t.weightCount])))
            initializers.append(tensor(name + ".bias", dims: [t.outChannels],
                                       Array(net.parameters[t.biasOffset ..< t.biasOffset + t.outChannels])))
            nodes.append(node("ConvTranspose", inputs: [current, name + ".weight", name + ".bias"], outputs: [name], name: name,
                              attributes: [ints("kernel_shape", [k, k]), ints("strides", [s, s]), ints("pads", [p, p, p, p])]))
            let joined = fresh("concat")
            nodes.append(node("Concat", inputs: [name, skips[l]], outputs: [joined], name: joined, attributes: [int("axis", 1)]))
            current = joined
            for layer in net.decoder[l] { current = conv(layer, current, activate: true) }
        }
        let correction = conv(net.head, current, activate: false)
        nodes.append(node("Add", inputs: [RefinerInput.estimate.rawValue, correction], outputs: ["output"], name: "residual"))

        var graph = Proto()
        for n in nodes { graph.bytes(1, n) }
        graph.string(2, "deblurkit_refiner")
        for t in initializers { graph.bytes(5, t) }
        graph.string(10, "DeblurKit residual U-Net refiner: width \(a.width), depth \(a.depth), inputs \(a.inputs.map(\.rawValue).joined(separator: ",")); base method \(model.header.base.name)")
        for input in a.inputs { graph.bytes(11, valueInfo(input.rawValue)) }
        graph.bytes(12, valueInfo("output"))

        var opsetId = Proto()
        opsetId.string(1, "")
        opsetId.varint(2, UInt64(opset))
        var proto = Proto()
        proto.varint(1, UInt64(irVersion))
        proto.string(2, "DeblurKit")
        proto.string(3, producerVersion)
        proto.bytes(7, graph.data)
        proto.bytes(8, opsetId.data)
        return Data(proto.data)
    }

    /// Writes the ONNX graph of `model` to `path` atomically.
    public static func write(_ model: RefinerModel, to path: String) throws {
        try writeAtomically(encode(model), to: path)
    }

    // MARK: protobuf messages of onnx.proto

    static func node(_ op: String, inputs: [String], outputs: [String], name: String, attributes: [[UInt8]] = []) -> [UInt8] {
        var p = Proto()
        for i in inputs { p.string(1, i) }
        for o in outputs { p.string(2, o) }
        p.string(3, name)
        p.string(4, op)
        for a in attributes { p.bytes(5, a) }
        return p.data
    }

    static func ints(_ name: String, _ values: [Int]) -> [UInt8] {
        var p = Proto()
        p.string(1, name)
        for v in values { p.varint(8, UInt64(bitPattern: Int64(v))) }
        p.varint(20, 7)  // AttributeType.INTS
        return p.data
    }

    static func int(_ name: String, _ value: Int) -> [UInt8] {
        var p = Proto()
        p.string(1, name)
        p.varint(3, UInt64(bitPattern: Int64(value)))
        p.varint(20, 2)  // AttributeType.INT
        return p.data
    }

    static func float(_ name: String, _ value: Float) -> [UInt8] {
        var p = Proto()
        p.string(1, name)
        p.fixed32(2, value.bitPattern)
        p.varint(20, 1)  // AttributeType.FLOAT
        return p.data
    }

    static func tensor(_ name: String, dims: [Int], _ values: [Float]) -> [UInt8] {
        var p = Proto()
        for d in dims { p.varint(1, UInt64(d)) }
        p.varint(2, 1)  // TensorProto.DataType.FLOAT
        p.string(8, name)
        var raw = [UInt8]()
        raw.reserveCapacity(4 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw += $0 } }
        p.bytes(9, raw)
        return p.data
    }

    /// A float tensor `N × 1 × H × W` with symbolic batch and size.
    static func valueInfo(_ name: String) -> [UInt8] {
        var shape = Proto()
        for (value, param) in [(nil, "N"), (1, nil), (nil, "H"), (nil, "W")] as [(Int?, String?)] {
            var dim = Proto()
            if let value { dim.varint(1, UInt64(value)) }
            if let param { dim.string(2, param) }
            shape.bytes(1, dim.data)
        }
        var tensorType = Proto()
        tensorType.varint(1, 1)  // FLOAT
        tensorType.bytes(2, shape.data)
        var type = Proto()
        type.bytes(1, tensorType.data)
        var info = Proto()
        info.string(1, name)
        info.bytes(2, type.data)
        return info.data
    }
}

/// A protobuf message being written: fields appended in order.
struct Proto {
    var data: [UInt8] = []

    mutating func key(_ field: Int, _ wireType: UInt64) { appendVarint(UInt64(field) << 3 | wireType) }

    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { data.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        data.append(UInt8(v))
    }

    mutating func varint(_ field: Int, _ value: UInt64) { key(field, 0); appendVarint(value) }

    mutating func fixed32(_ field: Int, _ value: UInt32) {
        key(field, 5)
        withUnsafeBytes(of: value.littleEndian) { data += $0 }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        appendVarint(UInt64(value.count))
        data += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }
}

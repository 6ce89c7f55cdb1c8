import Foundation

/// Writes nested Foundation values (`[String: Any]`, `[Any]`, String, Bool, Int, Double,
/// NSNull) as JSON with sorted keys and Swift's shortest round-trip number formatting, so
/// every Float64 in a report reads back bit for bit (JSONSerialization rounds to ~15 digits).
public enum JSONWriter {
    /// The JSON text; `indent` spaces per level, or a single line when nil.
    public static func write(_ value: Any, indent: Int? = 2) -> String {
        var out = ""
        append(value, to: &out, indent: indent, level: 0)
        return out
    }

    private static func append(_ value: Any, to out: inout String, indent: Int?, level: Int) {
        let newline = indent == nil ? "" : "\n"
        func pad(_ l: Int) -> String { indent.map { String(repeating: " ", count: $0 * l) } ?? "" }
        // Containers are matched first: casting a Swift array or dictionary held in an `Any` to
        // a class (NSNull, NSNumber) bridges all of it to Foundation first, so trying the scalar
        // cases first copied every subtree again at each level of it: 80 % of the time of a
        // 19 MB report of 5 000 items.
        switch value {
        case let o as [String: Any]:
            if o.isEmpty { out += "{}"; return }
            out += "{" + newline
            let keys = o.keys.sorted()
            for (i, key) in keys.enumerated() {
                out += pad(level + 1) + quote(key) + (indent == nil ? ":" : ": ")
                append(o[key]!, to: &out, indent: indent, level: level + 1)
                out += (i + 1 < keys.count ? "," : "") + newline
            }
            out += pad(level) + "}"
        case let a as [Any]:
            if a.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (i, element) in a.enumerated() {
                out += pad(level + 1)
                append(element, to: &out, indent: indent, level: level + 1)
                out += (i + 1 < a.count ? "," : "") + newline
            }
            out += pad(level) + "]"
        case is NSNull: out += "null"
        case let b as Bool: out += b ? "true" : "false"
        case let i as Int: out += String(i)
        case let u as UInt64: out += String(u)
        case let d as Double: out += d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)") : "null"
        case let n as NSNumber: out += "\(n)"
        case let s as String: out += quote(s)
        default: out += quote("\(value)")
        }
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

import DeblurCore
import Foundation

/// The committed fixtures of Fixtures/ (made by Fixtures/make_references.py with scikit-image).
enum Fixtures {
    static let directory: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    /// references.json, parsed.
    static let references: [String: Any] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("references.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    /// One case of references.json ("gray" or "color").
    static func reference(_ name: String) -> [String: Any] {
        (references["cases"] as! [String: Any])[name] as! [String: Any]
    }

    /// The (reference, image) pair of a case, as planar images.
    static func pair(_ name: String) -> (Image, Image) {
        let entry = reference(name)
        let shape = entry["shape"] as! [Int]
        func load(_ file: String) -> Image {
            let data = try! Data(contentsOf: directory.appendingPathComponent(file))
            let floats = data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
            return Image(channels: shape[0], height: shape[1], width: shape[2], pixels: floats)
        }
        return (load(entry["reference"] as! String), load(entry["image"] as! String))
    }

    static func number(_ entry: [String: Any], _ key: String) -> Double { (entry[key] as! NSNumber).doubleValue }
}

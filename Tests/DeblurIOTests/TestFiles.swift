import DeblurCore
import Foundation
@testable import DeblurIO

/// Paths of the committed fixtures and a scratch directory per test.
enum TestFiles {
    static let fixtures: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path

    static func fixture(_ name: String) -> String { fixtures + "/" + name }

    /// A new empty directory under the system's temporary directory.
    static func scratch() -> String {
        let path = NSTemporaryDirectory() + "deblurio-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // The formulas of Fixtures/make_fixtures.py.
    static func f8(_ c: Int, _ y: Int, _ x: Int) -> Int { (37 * x + 101 * y + 53 * c + 11) % 256 }
    static func f16(_ c: Int, _ y: Int, _ x: Int) -> Int { (7919 * x + 104729 * y + 15485863 * c + 12345) % 65536 }
    static func ffloat(_ p: Int, _ y: Int, _ x: Int) -> Float { Float(x - 2 * y) * 0.25 + Float(p) }

    /// The image a formula of integer samples reads as.
    static func expected(channels: Int, height: Int, width: Int, maximum: Float, _ f: (Int, Int, Int) -> Int) -> Image {
        Image(channels: channels, height: height, width: width) { c, y, x in Float(f(c, y, x)) / maximum }
    }
}

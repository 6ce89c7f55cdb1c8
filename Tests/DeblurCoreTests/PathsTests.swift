import DeblurCore
import Foundation
import Testing

@Suite struct PathsTests {
    /// The cases NSString.deletingLastPathComponent answers, plus the one-character paths it
    /// traps on (checked against it here only where it does not).
    @Test(arguments: [("x", ""), ("-", ""), ("x/", ""), ("/", "/"), ("", ""), ("/x", "/"), ("//x", "/"),
                      ("a/b", "a"), ("a//b", "a"), ("a/b/", "a"), ("/tmp/r.csv", "/tmp"), ("../x", ".."),
                      ("a/b/c.tif", "a/b"), ("ab", ""), ("./-", ".")])
    func parentPathMatchesFoundationWithoutTrapping(path: String, parent: String) {
        #expect(parentPath(of: path) == parent)
        if path.count > 1, path != "x/" {
            #expect(parentPath(of: path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }
}

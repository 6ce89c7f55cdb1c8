import Foundation

/// Finds the package's resource folders (the kernel bank, the shipped model) at run time.
///
/// SwiftPM's generated `Bundle.module` looks beside the executable and then in the build folder
/// it was compiled in, and stops the process when neither holds the folder: an executable
/// copied into `PATH`, a container image or a cluster node, or a build folder cleaned or moved,
/// crashed on the first use of the bank or the model. This looks beside the executable, then
/// in the install layout of `make install` (`PREFIX/bin/deblur` with the folders in
/// `PREFIX/share/deblurkit/`), and throws an error that says where it looked.
public enum ResourceFolders {
    /// When set, the folder holding the `DeblurKit_*.resources` folders, and the only place
    /// looked in: silently falling back elsewhere would hide a typo.
    public static let environmentVariable = "DEBLURKIT_RESOURCES"

    /// The install layout's folder, relative to the executable's folder.
    public static let installedSubpath = "../share/deblurkit"

    /// The folders that may hold `name`, in the order they are tried.
    public static func candidates(for name: String,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        if let root = environment[environmentVariable], !root.isEmpty {
            return [URL(fileURLWithPath: root).appendingPathComponent(name)]
        }
        var folders: [URL] = []
        // /proc/self/exe is the executable with symbolic links resolved, so a link in PATH to
        // an installed binary still finds the folders beside the binary itself.
        let process = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if process.path != "/proc/self/exe" { folders.append(process.deletingLastPathComponent()) }
        if let url = Bundle.main.executableURL { folders.append(url.resolvingSymlinksInPath().deletingLastPathComponent()) }
        folders.append(Bundle.main.bundleURL)
        var urls: [URL] = []
        for folder in folders {
            for url in [folder.appendingPathComponent(name),
                        folder.appendingPathComponent(installedSubpath).appendingPathComponent(name).standardizedFileURL]
            where !urls.contains(url) {
                urls.append(url)
            }
        }
        return urls
    }

    /// The first of `candidates(for: name)` that is a folder.
    /// - Throws: `CoreError.missingResource` naming every place looked in.
    public static func url(of name: String,
                           environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let urls = candidates(for: name, environment: environment)
        for url in urls {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return url
            }
        }
        throw CoreError.missingResource(name: name, searched: urls.map(\.path))
    }
}

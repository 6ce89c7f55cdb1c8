import ArgumentParser
import DeblurKit
import Foundation

/// The root command only configures; each subcommand lives in its own file under Commands/.
struct Deblur: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deblur",
        abstract: "Synthesize blurred datasets, deconvolve them with classical and learned methods, and score the results.",
        version: DeblurKitVersion.string,
        subcommands: [
            Demo.self, Info.self, Convert.self, PSFCommand.self, Blur.self, Deconvolve.self,
            Refine.self, Train.self, Synth.self, Compare.self, Metrics.self, Bench.self, ExportONNX.self,
        ]
    )
}

@main
enum Main {
    static func main() {
        InterruptCleanup.installHandlers()
        do {
            var command = try Deblur.parseAsRoot(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
            try command.run()
            // stdout is buffered and exit() drops a failed flush silently: a report printed
            // to a full disk (`> out.json`, /dev/full) would be cut short under exit status 0.
            let flushed = fflush(stdout) == 0
            if !flushed || ferror(stdout) != 0 {
                // An earlier failed write's errno is gone by now.
                let reason = flushed ? "a write failed, the output is incomplete" : String(cString: strerror(errno))
                throw CLIError("cannot write the standard output: \(reason)")
            }
        } catch {
            // Help and --version exit 0 through ArgumentParser; every other failure is one
            // line on stderr and exit status 1 (usage errors keep ArgumentParser's usage text).
            if Deblur.exitCode(for: error) == .success { Deblur.exit(withError: error) }
            // Foundation's own file errors (a directory that cannot be made, a file in the
            // way) would print as "Error Domain=NSCocoaErrorDomain Code=516 …".
            var message = Deblur.fullMessage(for: error)
            if let cocoa = error as? CocoaError {
                let path = cocoa.filePath ?? cocoa.url?.path ?? "a file"
                message = "cannot write \(path): \(fileErrorReason(cocoa, path: path))"
            }
            writeStandardError((message.hasPrefix("Error") ? "" : "Error: ") + message + "\n")
            Foundation.exit(1)
        }
    }
}

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
            try flushStandardOutput()
        } catch {
            // Help and --version (and completion scripts) are printed here rather than by
            // ArgumentParser's exit(withError:), which exits 0 whether or not they reached
            // stdout; every other failure is one line on stderr and exit status 1 (usage errors
            // keep ArgumentParser's usage text).
            if Deblur.exitCode(for: error) == .success {
                let text = Deblur.fullMessage(for: error)
                if !text.isEmpty { print(text) }
                do { try flushStandardOutput() } catch { fail(error) }
                Foundation.exit(0)
            }
            fail(error)
        }
    }

    /// Flushes stdout and throws if anything written to it was lost. stdout is buffered and
    /// exit() drops a failed flush silently: a report printed to a full disk (`> out.json`,
    /// /dev/full) would be cut short under exit status 0.
    static func flushStandardOutput() throws {
        let flushed = fflush(stdout) == 0
        if !flushed || ferror(stdout) != 0 {
            // An earlier failed write's errno is gone by now.
            let reason = flushed ? "a write failed, the output is incomplete" : String(cString: strerror(errno))
            throw CLIError("cannot write the standard output: \(reason)")
        }
    }

    /// Prints `error` as one line on stderr and exits with status 1; an `ExitCode` was
    /// reported by the command already, and only sets the status.
    static func fail(_ error: Error) -> Never {
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
        writeStandardError(errorLine(error) + "\n")
        Foundation.exit(1)
    }

    /// `error` as the line `fail` prints (`Error: <message>`, without the newline).
    static func errorLine(_ error: Error) -> String {
        // Foundation's own file errors (a directory that cannot be made, a file in the
        // way) would print as "Error Domain=NSCocoaErrorDomain Code=516 …".
        var message = Deblur.fullMessage(for: error)
        if let cocoa = error as? CocoaError {
            let path = cocoa.filePath ?? cocoa.url?.path ?? "a file"
            message = "cannot write \(path): \(fileErrorReason(cocoa, path: path))"
        }
        return (message.hasPrefix("Error") ? "" : "Error: ") + message
    }
}

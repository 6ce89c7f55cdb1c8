import ArgumentParser
import DeblurKit

struct Deconvolve: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deconvolve", abstract: "Restore a blurred image with a classical method.")

    func run() throws {
        throw CLIError("deblur deconvolve is not implemented yet")
    }
}

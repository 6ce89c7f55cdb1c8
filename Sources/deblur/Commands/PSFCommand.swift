import ArgumentParser
import DeblurKit

struct PSFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "psf", abstract: "Synthesize point-spread functions and the kernel bank.")

    func run() throws {
        throw CLIError("deblur psf is not implemented yet")
    }
}

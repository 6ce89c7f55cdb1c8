import ArgumentParser
import DeblurKit

struct Blur: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blur", abstract: "Blur an image by a PSF and add noise.")

    func run() throws {
        throw CLIError("deblur blur is not implemented yet")
    }
}

import ArgumentParser
import DeblurKit

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "convert", abstract: "Convert an image between PNG and TIFF formats and bit depths.")

    func run() throws {
        throw CLIError("deblur convert is not implemented yet")
    }
}

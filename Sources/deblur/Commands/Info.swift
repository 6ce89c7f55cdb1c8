import ArgumentParser
import DeblurKit

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print an image file's size, channels, bit depth and statistics.")

    func run() throws {
        throw CLIError("deblur info is not implemented yet")
    }
}

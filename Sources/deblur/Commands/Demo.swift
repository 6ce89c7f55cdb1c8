import ArgumentParser
import DeblurKit

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the main job on built-in data: synthesize, restore, compare, report.")

    func run() throws {
        throw CLIError("deblur demo is not implemented yet")
    }
}

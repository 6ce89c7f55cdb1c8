import ArgumentParser
import DeblurKit

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "synth", abstract: "Generate a synthetic blurred dataset.")

    func run() throws {
        throw CLIError("deblur synth is not implemented yet")
    }
}

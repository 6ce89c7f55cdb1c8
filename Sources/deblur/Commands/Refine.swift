import ArgumentParser
import DeblurKit

struct Refine: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "refine", abstract: "Restore with a classical base method, then refine with the CNN.")

    func run() throws {
        throw CLIError("deblur refine is not implemented yet")
    }
}

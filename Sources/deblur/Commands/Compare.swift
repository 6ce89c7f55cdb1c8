import ArgumentParser
import DeblurKit

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "Score several methods side by side on a dataset.")

    func run() throws {
        throw CLIError("deblur compare is not implemented yet")
    }
}

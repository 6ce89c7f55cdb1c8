import ArgumentParser
import DeblurKit

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train the CNN refiner.")

    func run() throws {
        throw CLIError("deblur train is not implemented yet")
    }
}

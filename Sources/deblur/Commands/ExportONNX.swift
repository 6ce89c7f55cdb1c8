import ArgumentParser
import DeblurKit

struct ExportONNX: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export-onnx", abstract: "Export a refiner model as an ONNX graph.")

    func run() throws {
        throw CLIError("deblur export-onnx is not implemented yet")
    }
}

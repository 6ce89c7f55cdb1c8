import ArgumentParser
import DeblurKit

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Compute MSE, PSNR and SSIM of an image against a reference.")

    func run() throws {
        throw CLIError("deblur metrics is not implemented yet")
    }
}

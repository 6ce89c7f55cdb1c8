// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "DeblurKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DeblurKit", targets: ["DeblurKit"]),
        .executable(name: "deblur", targets: ["deblur"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries. Each is imported by exactly one Swift module.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),

        // C shim: contains libpng's longjmp error handling inside C frames (see its header).
        .target(name: "CImageShims", dependencies: ["CPNG"]),

        .target(name: "DeblurCore"),
        .target(name: "DeblurIO", dependencies: ["DeblurCore", "CTIFF", "CPNG", "CImageShims"]),
        .target(name: "Deconvolution", dependencies: ["DeblurCore", "CFFTW"]),
        .target(name: "Refinement", dependencies: ["DeblurCore", "DeblurIO", "CBLAS", "Deconvolution", "Datasets"],
                resources: [.copy("Resources")]),
        .target(name: "Evaluation", dependencies: ["DeblurCore"]),
        .target(name: "Datasets", dependencies: ["DeblurCore", "DeblurIO", "Deconvolution"]),
        // The shipped kernel bank (float TIFFs + kernels.json), found through Bundle.module.
        .target(name: "KernelBank", dependencies: ["DeblurCore", "DeblurIO"], path: "Kernels",
                exclude: ["README.md", "bank.png"],
                resources: [.copy("kernels.json"), .copy("tif")]),
        .target(name: "DeblurKit",
                dependencies: ["DeblurCore", "DeblurIO", "Deconvolution", "Refinement",
                               "Evaluation", "Datasets", "KernelBank"]),
        .executableTarget(name: "deblur", dependencies: [
            "DeblurKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "CustomMethod", dependencies: ["DeblurKit"], path: "Examples/CustomMethod"),
        .executableTarget(name: "Pipeline", dependencies: ["DeblurKit"], path: "Examples/Pipeline"),

        // Not public API: tolerance helpers and fixtures shared by the test targets.
        .target(name: "_TestSupport", dependencies: ["DeblurCore"]),
        .testTarget(name: "DeblurCoreTests", dependencies: ["DeblurCore", "_TestSupport"]),
        .testTarget(name: "DeblurIOTests", dependencies: ["DeblurIO", "_TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DeconvolutionTests", dependencies: ["Deconvolution", "_TestSupport"]),
        .testTarget(name: "RefinementTests", dependencies: ["Refinement", "Datasets", "_TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "_TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "KernelBank", "_TestSupport"]),
        // Runs the built `deblur` executable (found next to the test bundle) in scratch folders.
        .testTarget(name: "deblurTests", dependencies: ["deblur", "_TestSupport", "DeblurKit"]),
    ],
    // Swift 5 mode: the numeric kernels share unsafe buffers across DispatchQueue workers
    // by design; strict Sendable checking would only add wrappers around them.
    swiftLanguageModes: [.v5]
)

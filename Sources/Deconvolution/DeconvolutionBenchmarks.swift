import DeblurCore

/// The Deconvolution module's cases for `deblur bench` (FFT floor, RL, Wiener, ...).
public enum DeconvolutionBenchmarks {
    public static let cases: [BenchCase] = []
}

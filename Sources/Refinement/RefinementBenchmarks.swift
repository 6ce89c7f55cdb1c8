import DeblurCore

/// The Refinement module's cases for `deblur bench` (sgemm, train, infer).
public enum RefinementBenchmarks {
    public static let cases: [BenchCase] = []
}

import DeblurCore

/// The Evaluation module's cases for `deblur bench` (ssim, psnr).
public enum EvaluationBenchmarks {
    public static let cases: [BenchCase] = []
}

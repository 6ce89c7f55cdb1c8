internal import CBLAS
import DeblurCore

/// OpenBLAS, the one owner of threads in the CNN's hot paths.
///
/// Every convolution is an `sgemm`; OpenBLAS splits each product across `threads` threads.
/// Nothing else in this module runs in parallel while a product runs (STYLE point 8).
public enum BLAS {
    /// OpenBLAS's thread count (default: all cores). Results are deterministic for a fixed count.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { _ = configured; openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Sets the thread count to all cores once, before the first product (idempotent).
    static let configured: Void = { openblas_set_num_threads(Int32(ProcessorInfo.cores)) }()
}


/// `C ← α·op(A)·op(B) + β·C`, row-major (`cblas_sgemm`). `op(A)` is `m × k`, `op(B)` is `k × n`.
@inline(__always)
func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    _ = BLAS.configured
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Grow-only scratch memory reused across layers and steps (im2col columns), so no
/// iteration allocates.
public final class Scratch: @unchecked Sendable {
    private var buffer: UnsafeMutablePointer<Float>
    private var capacity: Int

    public init() {
        capacity = 1
        buffer = .allocate(capacity: 1)
    }

    deinit { buffer.deallocate() }

    /// At least `count` floats; contents unspecified. Valid until the next call.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
            capacity = count
        }
        return buffer
    }

    /// Floats held, for memory accounting.
    public var allocatedFloats: Int { capacity }
}

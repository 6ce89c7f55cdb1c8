import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(i)` for `i` in `0..<count` on up to `threads` threads (default: all cores),
/// blocking until all are done. Use it for one level of parallelism only: never call it
/// from inside FFTW's or OpenBLAS's threads, nor nest it.
public func parallelFor(_ count: Int, threads: Int = ProcessorInfo.cores, _ body: (Int) -> Void) {
    if count <= 0 { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        // Contiguous chunks: neighbouring rows stay on one core's cache.
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = count * w / workers, end = count * (w + 1) / workers
            for i in start..<end { body(i) }
        }
    }
}

/// Facts about the machine the toolkit runs on.
public enum ProcessorInfo {
    /// The number of cores available to this process (at least 1).
    public static let cores: Int = {
        #if canImport(Glibc)
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, n)
        #else
        return 1
        #endif
    }()
}

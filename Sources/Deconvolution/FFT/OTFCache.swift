import DeblurCore
import Foundation

/// A small, thread-safe cache of OTFs keyed by the PSF's samples, the padded size and a scale.
///
/// Why: compare, tuning and the bench restore many images (or one image many times) with one
/// PSF; each call otherwise re-places the PSF in a zeroed padded array and transforms it, which
/// for a one-shot Wiener is a third of the work (one forward transform and ~12 MB of first-touched
/// memory at 1080²).
///
/// Keys hash the PSF's samples, but a hit also compares the samples exactly, so two distinct
/// PSFs of equal size never share an entry even when their hashes collide. At most `capacity`
/// entries are kept (least recently used evicted first). Cached spectra are shared between
/// callers and must be treated as read-only.
enum OTFCache {
    /// Entries kept (each is one half-spectrum: 8 bytes per padded pixel / 2).
    static let capacity = 4
    /// Bytes of spectra kept at most (the newest entry is always kept): at 4096² one OTF is
    /// ~67 MB, and idle cached spectra must not eat the memory budget of large restorations.
    static let maximumBytes = 128 << 20

    private struct Key: Hashable {
        let psfHeight: Int, psfWidth: Int
        let height: Int, width: Int
        let scaleBits: UInt32
        /// 0: `FFTPlan2D`'s half-spectrum; b > 0: `FusedConvolution`'s block-major layout with b-column blocks.
        let layout: Int
        let samplesHash: Int
    }

    private final class Entry {
        let samples: [Float]
        let spectrum: FFTBuffer
        var lastUse: UInt64
        init(samples: [Float], spectrum: FFTBuffer, lastUse: UInt64) {
            self.samples = samples; self.spectrum = spectrum; self.lastUse = lastUse
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var entries: [Key: [Entry]] = [:]
    nonisolated(unsafe) private static var clock: UInt64 = 0
    /// Counters for tests: transforms actually computed and hits served.
    nonisolated(unsafe) private(set) static var misses = 0
    nonisolated(unsafe) private(set) static var hits = 0

    /// The OTF of `psf` at `height × width` multiplied by `scale`, from the cache or computed
    /// (with `plan`, which must be of that size) and stored.
    static func otf(_ psf: PSF, height: Int, width: Int, scale: Float = 1, plan: FFTPlan2D) -> FFTBuffer {
        cached(psf, height: height, width: width, scale: scale, layout: 0) {
            let spectrum = psf.otf(height: height, width: width, plan: plan)
            if scale != 1 { SpectralOps.scale(spectrum.pointer, count: plan.spectrumCount, by: scale) }
            return spectrum
        }
    }

    /// The cached spectrum of `psf` at `height × width`, `scale` and `layout`, or `compute()`'s
    /// result, stored. `compute` runs outside the lock and must already apply `scale`.
    static func cached(_ psf: PSF, height: Int, width: Int, scale: Float, layout: Int,
                       compute: () -> FFTBuffer) -> FFTBuffer {
        let samples = psf.image.pixels
        var hasher = Hasher()
        samples.withUnsafeBytes { hasher.combine(bytes: $0) }
        let key = Key(psfHeight: psf.height, psfWidth: psf.width, height: height, width: width,
                      scaleBits: scale.bitPattern, layout: layout, samplesHash: hasher.finalize())
        lock.lock()
        clock &+= 1
        if let bucket = entries[key], let entry = bucket.first(where: { $0.samples == samples }) {
            entry.lastUse = clock
            hits += 1
            lock.unlock()
            return entry.spectrum
        }
        lock.unlock()
        // Computed outside the lock: transforms of different PSFs may run concurrently.
        let spectrum = compute()
        lock.lock()
        defer { lock.unlock() }
        misses += 1
        entries[key, default: []].append(Entry(samples: samples, spectrum: spectrum, lastUse: clock))
        var total = entries.values.reduce(0) { $0 + $1.count }
        var bytes = entries.values.reduce(0) { $0 + $1.reduce(0) { $0 + 4 * $1.spectrum.count } }
        while total > capacity || (bytes > maximumBytes && total > 1) {
            // Evict the least recently used entry.
            var oldest: (Key, Int, UInt64)?
            for (k, bucket) in entries {
                for (i, e) in bucket.enumerated() where oldest == nil || e.lastUse < oldest!.2 { oldest = (k, i, e.lastUse) }
            }
            guard let (k, i, _) = oldest else { break }
            bytes -= 4 * entries[k]![i].spectrum.count
            entries[k]!.remove(at: i)
            if entries[k]!.isEmpty { entries[k] = nil }
            total -= 1
        }
        return spectrum
    }

    /// Drops every entry (tests; or to release memory after a large run).
    static func removeAll() {
        lock.lock(); defer { lock.unlock() }
        entries = [:]
        hits = 0; misses = 0
    }
}

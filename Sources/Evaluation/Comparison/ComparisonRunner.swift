import DeblurCore
import Foundation

/// Restores and scores every item with every method, side by side.
///
/// Items run in parallel on `threads` workers that each take the next unclaimed item, so
/// at most `threads` items are in memory at once; results land in input order whatever the
/// timing. While items run in parallel the metrics run single-threaded, and the caller
/// should keep the methods single-threaded too (`deblur compare` runs it inside
/// `BLAS.withThreads(1)`, which also sets `FFT.threads` to 1): one component owns the cores at
/// a time.
///
/// A failure (a loader that throws, sharp and blurred of different sizes, a method that
/// throws or returns the wrong size) is recorded with its reason and the run goes on.
/// An `ItemRestorer` is given the item's id and is not timed.
///
/// ```swift
/// let runner = ComparisonRunner(settings: ComparisonSettings(metrics: MetricSettings(crop: 10)))
/// let result = runner.run(items: items, methods: [ComparisonMethod(Passthrough()), ComparisonMethod(myMethod)])
/// print(MarkdownReport.render(result))
/// ```
public struct ComparisonRunner: Sendable {
    public var settings: ComparisonSettings
    /// Items whose iterations are traced (PSNR after each iteration), the first ones in order (default 2).
    public var traceItems: Int = 2
    /// Items for which crops are kept for the HTML report, the first ones in order (default 3).
    public var previewItems: Int = 3
    /// Side of the square preview crop in pixels (default 96; below 1 counts as 1).
    public var previewSize: Int = 96
    /// Called after each item with (record, items done, total), from worker threads.
    public var progress: (@Sendable (ItemRecord, Int, Int) -> Void)?
    /// Called with each restored and scored image (item id, method label, image), from worker
    /// threads. It handles its own errors: an image that cannot be saved (a full disk) is no
    /// failure of the method, whose scores stand.
    public var saveRestored: (@Sendable (String, String, Image) -> Void)?
    /// Called before each tuning candidate is scored on the validation items, with the
    /// candidate spec (`wiener:nsr=0.01`), its index and the number of candidates of that method.
    public var tuningProgress: (@Sendable (MethodSpec, Int, Int) -> Void)?

    public init(settings: ComparisonSettings = ComparisonSettings()) { self.settings = settings }

    /// Runs `methods` on `items`. `settings.baseline` defaults to `blurred` when present, else the first method.
    ///
    /// Labels must be unique (a precondition, checked before any item runs): scores, win counts
    /// and reports find a method by its label, so two methods of one label would be counted
    /// against each other's results (label each, e.g. `ComparisonMethod(label: "cnn-\(step)", …)`).
    public func run(items: [ComparisonItem], methods: [ComparisonMethod]) -> Comparison {
        let labels = methods.map(\.label)
        var seen = Set<String>()
        for label in labels where !seen.insert(label).inserted {
            preconditionFailure("ComparisonRunner.run: two methods are labelled '\(label)' (labels: \(labels.joined(separator: ", "))); give each a label of its own")
        }
        var settings = self.settings
        if settings.baseline.isEmpty || !labels.contains(settings.baseline) {
            settings.baseline = labels.contains("blurred") ? "blurred" : (labels.first ?? "")
        }
        if settings.methodSpecs.isEmpty { settings.methodSpecs = labels }
        let outcomes = evaluate(items: items, methods: methods, record: true)
        return Comparison(settings: settings, methods: labels, items: outcomes.map(\.record), tuning: [],
                                validationItems: [], traces: outcomes.flatMap(\.traces),
                                previews: outcomes.compactMap(\.preview))
    }

    /// Runs restorers given by label, in label order.
    public func run(items: [ComparisonItem], methods: [String: any Restorer]) -> Comparison {
        run(items: items, methods: methods.keys.sorted().map { ComparisonMethod(label: $0, restorer: methods[$0]!) })
    }

    // MARK: - Items

    struct Outcome {
        var record: ItemRecord
        var traces: [IterationTrace] = []
        var preview: Preview?
    }

    /// Evaluates every item on the workers; `record` false skips traces, previews, saving and progress (tuning).
    func evaluate(items: [ComparisonItem], methods: [ComparisonMethod], record: Bool) -> [Outcome] {
        let workers = max(1, min(settings.threads, items.count))
        var outcomes = [Outcome?](repeating: nil, count: items.count)
        let lock = NSLock()
        var next = 0, done = 0
        outcomes.withUnsafeMutableBufferPointer { slots in
            let slots = slots
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    lock.lock(); let index = next; next += 1; lock.unlock()
                    guard index < items.count else { return }
                    let outcome = evaluate(items[index], position: index, methods: methods,
                                           metricThreads: workers > 1 ? 1 : settings.threads, record: record)
                    slots[index] = outcome
                    if record, let progress {
                        lock.lock(); done += 1; let finished = done; lock.unlock()
                        progress(outcome.record, finished, items.count)
                    }
                }
            }
        }
        return outcomes.map { $0! }
    }

    private func evaluate(_ item: ComparisonItem, position: Int, methods: [ComparisonMethod],
                          metricThreads: Int, record: Bool) -> Outcome {
        var itemRecord = ItemRecord(id: item.id, kernel: item.kernel, noiseSigma: item.noiseSigma, failure: nil, results: [], source: item.source)
        func failAll(_ reason: String) -> Outcome {
            itemRecord.failure = reason
            itemRecord.results = methods.map { MethodResult(method: $0.label, scores: nil, seconds: nil, error: reason) }
            return Outcome(record: itemRecord)
        }
        let loaded: LoadedItem
        do { loaded = try item.load() } catch { return failAll("\(error)") }
        itemRecord.blurSupport = loaded.psf.support
        let sharp = loaded.sharp, blurred = loaded.blurred
        guard sharp.channels == blurred.channels, sharp.height == blurred.height, sharp.width == blurred.width else {
            return failAll("size mismatch: sharp is \(geometry(sharp)), blurred is \(geometry(blurred))")
        }
        let metrics = settings.metrics
        let scoredSharp: Image
        do { scoredSharp = try metrics.prepare(sharp, what: "sharp image of item \(item.id)") } catch { return failAll("\(error)") }

        let trace = record && position < traceItems
        let keepPreview = record && position < previewItems
        var outcome = Outcome(record: itemRecord)
        var panels = [(label: String, image: Image)]()
        let region = previewRegion(height: scoredSharp.height, width: scoredSharp.width)
        if keepPreview {
            panels.append(("sharp", crop(scoredSharp, region)))
            if let b = try? metrics.prepare(blurred) { panels.append(("blurred", crop(b, region))) }
        }
        for method in methods {
            var points = [(iteration: Int, psnr: Double)]()
            // A traced item's time leaves out the scoring of its iterates, as `deconvolve --trace` does.
            var scoringSeconds = 0.0
            var channels = ChannelIterates(channels: sharp.channels, luminance: metrics.luminanceOnly)
            let observer: IterationObserver? = trace ? { state in
                let scoringStart = monotonicSeconds()
                defer { scoringSeconds += monotonicSeconds() - scoringStart }
                if state.estimate.channels == sharp.channels {
                    if let e = try? metrics.prepare(state.estimate), e.count == scoredSharp.count,
                       let error = try? mse(scoredSharp, e) {
                        points.append((state.iteration, psnr(mse: error, dataRange: metrics.dataRange)))
                    }
                } else {
                    // A color item restored channel by channel: its iterates come one channel at a
                    // time. Scoring each alone against the whole sharp image matched nothing (the trace
                    // was dropped) or, with --luminance, the luma (one point per channel and iteration).
                    channels.observe(state, sharp: scoredSharp, metrics: metrics)
                }
                return true
            } : nil
            let start = monotonicSeconds()
            do {
                let restored: Image, seconds: Double?
                if let byItem = method.restorer as? any ItemRestorer {
                    restored = try byItem.restore(item: item.id, blurred: blurred, psf: loaded.psf)
                    seconds = nil
                } else {
                    restored = try method.restorer.restore(blurred, psf: loaded.psf, observer: observer)
                    seconds = monotonicSeconds() - start - scoringSeconds
                }
                guard restored.channels == sharp.channels, restored.height == sharp.height, restored.width == sharp.width else {
                    throw EvaluationError.sizeMismatch(what: "output of \(method.label)", expected: geometry(sharp), actual: geometry(restored))
                }
                // A diverged method would turn every mean into NaN: record it as a failure instead.
                guard restored.isFinite else {
                    throw EvaluationError.invalidValue(name: "output of \(method.label)", value: "with NaN or infinite samples",
                                                       expected: "finite values")
                }
                let scores = try score(sharp, restored, settings: metrics, threads: metricThreads)
                if record, let saveRestored { saveRestored(item.id, method.label, restored) }
                outcome.record.results.append(MethodResult(method: method.label, scores: scores, seconds: seconds, error: nil))
                if keepPreview, method.label != "blurred", let r = try? metrics.prepare(restored) {
                    panels.append((method.label, crop(r, region)))
                }
            } catch {
                outcome.record.results.append(MethodResult(method: method.label, scores: nil, seconds: nil, error: "\(error)"))
            }
            if points.isEmpty, let combined = channels.points(sharp: scoredSharp, height: sharp.height, width: sharp.width, metrics: metrics) {
                points = combined
            }
            if !points.isEmpty { outcome.traces.append(IterationTrace(item: item.id, method: method.label, points: points)) }
        }
        if keepPreview { outcome.preview = Preview(item: item.id, top: region.top, left: region.left, panels: panels) }
        return outcome
    }

    /// A centred square of `previewSize` (or the whole image if smaller).
    private func previewRegion(height: Int, width: Int) -> (top: Int, left: Int, height: Int, width: Int) {
        let side = max(1, previewSize), h = min(height, side), w = min(width, side)
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    private func crop(_ image: Image, _ r: (top: Int, left: Int, height: Int, width: Int)) -> Image {
        image.cropped(top: r.top, left: r.left, height: r.height, width: r.width).clamped()
    }
}

/// The iterates of a color item whose method restores it channel by channel (each channel's
/// iterations numbered from 1), gathered to score the whole image after iteration k as the item's
/// result is scored: PSNR over all channels, or of the luma with `--luminance`. A channel that
/// stopped earlier (a tolerance) stands at its last iterate.
struct ChannelIterates {
    let channels: Int
    let luminance: Bool
    private var channel = -1
    private var lastIteration = Int.max
    /// Each channel's iteration numbers, and without `--luminance` the MSE of each iterate.
    private var iterations = [[Int]]()
    private var errors = [[Double]]()
    /// With `--luminance`: after the k-th iterates, Σ w_c · channel c's iterate over the channels
    /// seen so far, in the order and precision of `Image.luminance()`; and each channel's last iterate.
    private var lumaSums = [[Float]]()
    private var lastIterates = [[Float]]()
    private var failed = false

    init(channels: Int, luminance: Bool) {
        self.channels = channels
        self.luminance = luminance
    }

    mutating func observe(_ state: IterationState, sharp: Image, metrics: MetricSettings) {
        if state.iteration <= lastIteration {
            if luminance && channel >= 0 { Self.addStopped(channel, iterations: iterations, lastIterates: lastIterates, to: &lumaSums) }
            channel += 1; iterations.append([]); errors.append([]); lastIterates.append([])
        }
        lastIteration = state.iteration
        guard !failed, channel < channels, state.estimate.channels == 1 else { failed = true; return }
        let k = iterations[channel].count
        iterations[channel].append(state.iteration)
        if luminance {
            guard channels == 3 else { failed = true; return }
            let pixels = state.estimate.pixels, weight = Image.lumaWeights[channel]
            if k == lumaSums.count {
                // Past the iterations of the channels before: they stand at their last iterates.
                var sum = [Float](repeating: 0, count: pixels.count)
                for c in 0..<channel where lastIterates[c].count == sum.count {
                    for i in sum.indices { sum[i] += Image.lumaWeights[c] * lastIterates[c][i] }
                }
                lumaSums.append(sum)
            }
            guard lumaSums[k].count == pixels.count else { failed = true; return }
            // Channel by channel in order, from 0 (0 + w·r is w·r exactly): the sums round as
            // luminance()'s w·r + w·g + w·b.
            for i in pixels.indices { lumaSums[k][i] += weight * pixels[i] }
            lastIterates[channel] = pixels
        } else if let e = try? metrics.prepare(state.estimate), let error = try? mse(sharp.channel(channel), e) {
            errors[channel].append(error)
        } else {
            failed = true
        }
    }

    /// The whole image's PSNR after each iteration, or nil when not every channel was observed.
    func points(sharp: Image, height: Int, width: Int, metrics: MetricSettings) -> [(iteration: Int, psnr: Double)]? {
        guard !failed, channel == channels - 1, iterations.allSatisfy({ !$0.isEmpty }),
              let longest = iterations.max(by: { $0.count < $1.count }) else { return nil }
        var sums = lumaSums
        if luminance { Self.addStopped(channel, iterations: iterations, lastIterates: lastIterates, to: &sums) }
        var points = [(iteration: Int, psnr: Double)]()
        for k in longest.indices {
            let error: Double
            if luminance {
                let sum = sums[k]
                guard sum.count == height * width,
                      let e = try? metrics.prepare(Image(channels: 1, height: height, width: width, pixels: sum)),
                      let value = try? mse(sharp, e) else { return nil }
                error = value
            } else {
                // The channels have the same size: the image's MSE is the mean of theirs.
                error = (0..<channels).map { errors[$0][min(k, errors[$0].count - 1)] }.reduce(0, +) / Double(channels)
            }
            points.append((longest[k], psnr(mse: error, dataRange: metrics.dataRange)))
        }
        return points
    }

    /// Adds channel `c`'s last iterate to the sums past its iterations, before any later channel's.
    private static func addStopped(_ c: Int, iterations: [[Int]], lastIterates: [[Float]], to sums: inout [[Float]]) {
        let last = lastIterates[c]
        guard !last.isEmpty else { return }
        for k in iterations[c].count..<max(iterations[c].count, sums.count) where sums[k].count == last.count {
            for i in last.indices { sums[k][i] += Image.lumaWeights[c] * last[i] }
        }
    }
}

import DeblurCore

/// Fair tuning (`deblur compare --tune`): each method's free parameter is chosen on a
/// validation split by mean PSNR, and the methods are scored on the remaining items only,
/// so no method is scored on the images its parameter was picked on.
extension ComparisonRunner {
    /// Runs specs through `factory`; with `settings.tune`, first picks each method's free
    /// parameter on a seeded validation split (`settings.validationFraction` of the items,
    /// at least one) by mean PSNR, then scores the tuned methods on the remaining items.
    ///
    /// A spec that already sets its free parameter keeps it (the user's choice wins), as does
    /// one whose other settings exclude it (the factory refuses the spec with the parameter set).
    /// - Throws: `EvaluationError.noItems` when the split leaves no test item,
    ///   `.invalidMethodSpec` for a spec listed twice (as `MethodSpec.parseList` refuses it), and
    ///   the factory's error for a spec it cannot make (checked before anything runs).
    public func run(items: [ComparisonItem], specs: [MethodSpec], factory: MethodFactory) throws -> Comparison {
        var seen = Set<String>()
        for spec in specs where !seen.insert(spec.description).inserted {
            throw EvaluationError.invalidMethodSpec(spec: spec.description, reason: "listed twice")
        }
        var runner = self
        runner.settings.methodSpecs = specs.map(\.description)
        // Make every method once up front, so a typo fails fast rather than on every item.
        var methods = try specs.map { ComparisonMethod(label: $0.description, restorer: try factory.make($0)) }
        guard settings.tune else { return runner.run(items: items, methods: methods) }

        let (validation, test) = try Self.split(items, fraction: settings.validationFraction, seed: settings.splitSeed)
        var tuning = [TuningRecord]()
        for (index, spec) in specs.enumerated() {
            guard let grid = factory.tuningGrid(spec.name), spec[grid.parameter] == nil, !grid.values.isEmpty else { continue }
            // Settings that exclude the parameter fix it too (wiener:noise-sigma=… sets the NSR
            // from σ): such a spec is kept as given, as one that sets it, rather than failing.
            guard (try? factory.make(spec.setting(grid.parameter, to: grid.values[0]))) != nil else { continue }
            var candidates = [(value: String, meanPSNR: Double?)]()
            for (n, value) in grid.values.enumerated() {
                let candidate = spec.setting(grid.parameter, to: value)
                tuningProgress?(candidate, n, grid.values.count)
                let restorer = try factory.make(candidate)
                let outcomes = runner.evaluate(items: validation, methods: [ComparisonMethod(label: candidate.description, restorer: restorer)], record: false)
                let scores = outcomes.compactMap { $0.record.results[0].scores }
                candidates.append((value, scores.count == outcomes.count ? scores.map(\.psnr).reduce(0, +) / Double(scores.count) : nil))
            }
            // Best mean PSNR; ties keep the earlier (grid order) value.
            var best: (value: String, meanPSNR: Double?)? = nil
            for c in candidates where c.meanPSNR != nil {
                if best == nil || c.meanPSNR! > best!.meanPSNR! { best = c }
            }
            let chosen = best?.value ?? grid.values[0]
            let tuned = spec.setting(grid.parameter, to: chosen)
            methods[index] = ComparisonMethod(label: spec.description, restorer: try factory.make(tuned))
            tuning.append(TuningRecord(method: spec.description, parameter: grid.parameter, candidates: candidates,
                                       chosen: chosen, tunedSpec: tuned))
        }
        var result = runner.run(items: test, methods: methods)
        result.tuning = tuning
        result.validationItems = validation.map(\.id)
        return result
    }

    /// Splits items into (validation, test) with a seeded shuffle: `ceil(fraction · n)`
    /// validation items (at least 1), each part kept in input order.
    /// - Throws: `EvaluationError.invalidValue` for a fraction outside (0, 1),
    ///   `.noItems` when no test item would remain.
    public static func split(_ items: [ComparisonItem], fraction: Double, seed: UInt64) throws -> ([ComparisonItem], [ComparisonItem]) {
        guard fraction > 0, fraction < 1 else {
            throw EvaluationError.invalidValue(name: "validation fraction", value: String(fraction), expected: "a number in (0, 1)")
        }
        let count = max(1, Int((fraction * Double(items.count)).rounded(.up)))
        guard items.count - count >= 1 else {
            throw EvaluationError.noItems(reason: "\(items.count) item(s) leave none for testing after \(count) validation item(s); tuning needs at least 2 items")
        }
        var order = Array(items.indices)
        var rng = SeededRandom(seed: seed, stream: 0x7475_6E65)  // "tune"
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.integer(below: i + 1)) }
        let validation = Set(order.prefix(count))
        return (items.indices.filter { validation.contains($0) }.map { items[$0] },
                items.indices.filter { !validation.contains($0) }.map { items[$0] })
    }
}

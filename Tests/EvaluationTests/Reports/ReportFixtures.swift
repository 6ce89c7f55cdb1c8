import DeblurCore
import Foundation
@testable import Evaluation

/// A small run with every feature a report shows: two methods, a failure, a trace, a preview, groups.
func sampleResult() -> Comparison {
    var items = [offsetItem("001", kernel: "motion-9", noise: 0.01, seed: 1), offsetItem("002", kernel: "disk-3", noise: 0.02, seed: 2)]
    items.append(ComparisonItem(id: "003", kernel: "disk-3", noiseSigma: 0.02) { throw TestFailure(description: "cannot open \"003.tif\", a,b") })
    var runner = ComparisonRunner()
    runner.previewItems = 1
    runner.previewSize = 8
    return runner.run(items: items, methods: [ComparisonMethod(Passthrough()),
                                              ComparisonMethod(label: "rl<x>:iterations=4", restorer: IterativeSubtract(shift: 0.05, iterations: 4))])
}

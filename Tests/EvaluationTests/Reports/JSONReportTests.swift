import Testing
import Foundation
import DeblurCore
@testable import Evaluation

@Suite struct JSONReportTests {
    @Test func documentHoldsSettingsItemsAggregatesAndTraces() throws {
        let result = sampleResult()
        let text = JSONReport.render(result)
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(json["format"] as? String == "deblurkit-comparison")
        let settings = json["settings"] as! [String: Any]
        #expect(settings["ssim_preset"] as? String == "wang2004" && settings["baseline"] as? String == "blurred")
        #expect((json["versions"] as! [String: Any])["deblurkit"] as? String == DeblurKitVersion.string)
        let items = json["items"] as! [[String: Any]]
        #expect(items.map { $0["id"] as! String } == ["001", "002", "003"])
        let first = (items[0]["results"] as! [[String: Any]])[1]
        // corelibs' JSON parser rounds the last digit, so check the text for the exact value.
        let exact = result.items[0].results[1].scores!.psnr
        #expect(abs((first["psnr"] as! Double) - exact) < 1e-12 && text.contains("\"psnr\": \(exact)"))
        #expect(items[2]["failure"] as? String == "cannot open \"003.tif\", a,b")
        let aggregates = json["aggregates"] as! [String: Any]
        let overall = aggregates["overall"] as! [[String: Any]]
        let psnr = overall[1]["psnr"] as! [String: Any]
        #expect(abs((psnr["mean"] as! Double) - result.summaries[1].psnr.mean) < 1e-12)
        #expect(Set((aggregates["by_kernel"] as! [String: Any]).keys) == ["motion-9", "disk-3"])
        #expect(Set((aggregates["by_noise"] as! [String: Any]).keys) == ["σ=0.01", "σ=0.02"])
        // rl<x> against blurred on the two items both scored; 003 failed.
        let differences = aggregates["against_baseline"] as! [[String: Any]]
        let paired = result.againstBaseline[0]
        #expect(differences.count == 1 && differences[0]["method"] as? String == "rl<x>:iterations=4" && differences[0]["count"] as? Int == 2)
        let ssim = differences[0]["ssim"] as! [String: Any]
        #expect(abs((ssim["low"] as! Double) - paired.ssim.low!) < 1e-12 && abs((ssim["high"] as! Double) - paired.ssim.high!) < 1e-12)
        #expect((aggregates["bootstrap"] as! [String: Any])["resamples"] as? Int == 10_000)
        let traces = json["traces"] as! [[String: Any]]
        #expect((traces[0]["iterations"] as! [Int]) == [1, 2, 3, 4])
        #expect((json["failures"] as! [[String: Any]]).count == 1)
    }

    @Test func writerEscapesStringsAndKeepsFullPrecision() {
        #expect(JSONWriter.write(["b": [0.1, 1e-300, 26.020599589704712, 3.0], "a": "q\"\\\n\u{1}"] as [String: Any], indent: nil)
                == "{\"a\":\"q\\\"\\\\\\n\\u0001\",\"b\":[0.1,1e-300,26.020599589704712,3]}")
    }

    /// Containers are matched before scalars (a report of thousands of items bridged every
    /// subtree to Foundation once per scalar case tried first); every kind still writes as before.
    @Test func writerWritesEveryKindInsideNestedContainers() {
        let value: [String: Any] = [
            "list": [[String: Any](), [Any](), NSNull(), true, false, 7, UInt64(9_007_199_254_740_993), 2.0, 0.1,
                     Double.infinity, NSNumber(value: 5), "s", ["k": [1, [2.5]] as [Any]] as [String: Any]] as [Any],
            "map": ["z": [String: String](), "a": ["x": "y"]] as [String: Any],
        ]
        #expect(JSONWriter.write(value, indent: nil)
                == #"{"list":[{},[],null,true,false,7,9007199254740993,2,0.1,null,5,"s",{"k":[1,[2.5]]}],"map":{"a":{"x":"y"},"z":{}}}"#)
        #expect(JSONWriter.write(["a": [1, ["b": NSNull()]] as [Any]] as [String: Any])
                == "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ]\n}")
    }

    @Test func infinitePSNRIsWrittenAsNull() throws {
        let item = offsetItem("same", seed: 3)
        let result = ComparisonRunner().run(items: [item], methods: [ComparisonMethod(label: "exact", restorer: Subtract(shift: 0.1))])
        // blurred − 0.1 may differ from sharp by Float rounding; force a perfect score instead.
        var perfect = result
        perfect.items[0].results[0].scores = ImageScores(mse: 0, psnr: .infinity, ssim: 1)
        let json = try JSONSerialization.jsonObject(with: Data(JSONReport.render(perfect).utf8)) as! [String: Any]
        let r = ((json["items"] as! [[String: Any]])[0]["results"] as! [[String: Any]])[0]
        #expect(r["psnr"] is NSNull && r["mse"] as? Double == 0)
    }
}

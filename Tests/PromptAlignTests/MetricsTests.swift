import PromptAlign
import XCTest

/// Metrics with scikit-learn's definitions (the authors' `accuracy_score` and
/// `precision_recall_fscore_support(average='macro')`), computed by hand below.
final class MetricsTests: XCTestCase {
    /// truth 0 0 1 1, predicted 0 1 1 1.
    /// class 0: tp 1, fp 0, fn 1 → P = 1, R = 1/2, F1 = 2·1·½ / 1½ = 2/3
    /// class 1: tp 2, fp 1, fn 0 → P = 2/3, R = 1, F1 = 2·⅔·1 / 1⅔ = 4/5
    /// macro P = (1 + 2/3)/2, R = 3/4, F1 = (2/3 + 4/5)/2 = 11/15; accuracy 3/4.
    func testBinaryByHand() throws {
        let m = try ClassificationMetrics(truth: [0, 0, 1, 1], predicted: [0, 1, 1, 1])
        XCTAssertEqual(m.accuracy, 0.75)
        XCTAssertEqual(m.macroPrecision, (1 + 2.0 / 3) / 2, accuracy: 1e-15)
        XCTAssertEqual(m.macroRecall, 0.75)
        XCTAssertEqual(m.macroF1, 11.0 / 15, accuracy: 1e-15)
        XCTAssertEqual(m.perClass.map(\.support), [2, 2])
        XCTAssertEqual(m.perClass[1].f1, 0.8, accuracy: 1e-15)
        XCTAssertEqual(m.confusion, [[1, 1], [0, 2]])
    }

    /// Everything predicted real: class 1 has tp + fp = 0, so its precision is 0 (sklearn's
    /// zero_division='warn' → 0), R = 0, F1 = 0. Class 0: P = 1/2, R = 1, F1 = 2/3.
    /// macro P = 1/4, R = 1/2, F1 = 1/3.
    func testZeroDivisionIsZero() throws {
        let m = try ClassificationMetrics(truth: [0, 0, 1, 1], predicted: [0, 0, 0, 0])
        XCTAssertEqual(m.macroPrecision, 0.25)
        XCTAssertEqual(m.macroRecall, 0.5)
        XCTAssertEqual(m.macroF1, 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(m.perClass[1].precision, 0)
    }

    /// Labels are the union of truth and predictions: a class present only in the predictions counts
    /// (support 0, recall 0/0 → 0); a class absent from both does not.
    func testLabelSetIsTheUnion() throws {
        let m = try ClassificationMetrics(truth: [0, 0], predicted: [0, 1])
        XCTAssertEqual(m.labels, [0, 1])
        XCTAssertEqual(m.macroF1, (2.0 / 3 + 0) / 2, accuracy: 1e-15)
        let single = try ClassificationMetrics(truth: [1, 1], predicted: [1, 1])
        XCTAssertEqual(single.labels, [1])
        XCTAssertEqual(single.macroF1, 1)
        XCTAssertThrowsError(try ClassificationMetrics(truth: [0], predicted: []))
    }

    /// The 20 per-run accuracies in the authors' log for FANG K=16
    /// (logs_archive/log_fang_fewshot_16_samples_Prompt-and-Align_t5.iter20): the mean reproduces the
    /// logged "Average acc.: 0.5942164179104478" digit for digit (a left-to-right sum, as Python's sum);
    /// std ×100 is 1.78 (population) and 1.83 (sample), as in the reference note §6a.
    func testSpreadReproducesAuthorsLog() throws {
        let runs = [0.5839552238805971, 0.5727611940298507, 0.5914179104477612, 0.621268656716418, 0.6231343283582089,
                    0.6231343283582089, 0.585820895522388, 0.5951492537313433, 0.6007462686567164, 0.5839552238805971,
                    0.5783582089552238, 0.5839552238805971, 0.6044776119402985, 0.5895522388059702, 0.582089552238806,
                    0.5951492537313433, 0.5876865671641791, 0.5634328358208955, 0.6324626865671642, 0.585820895522388]
        let s = Spread(runs)
        XCTAssertEqual(s.mean, 0.5942164179104478)
        XCTAssertEqual((s.std * 1e4).rounded() / 1e2, 1.78)
        XCTAssertEqual((s.stdSample * 1e4).rounded() / 1e2, 1.83)
        XCTAssertEqual(s.min, 0.5634328358208955)
        XCTAssertEqual(s.max, 0.6324626865671642)
    }

    func testSummaryJSONAndTable() throws {
        let a = try ClassificationMetrics(truth: [0, 0, 1, 1], predicted: [0, 1, 1, 1])
        let b = try ClassificationMetrics(truth: [0, 0, 1, 1], predicted: [0, 0, 1, 1])
        let summary = try MetricSummary([a, b])
        XCTAssertEqual(summary.accuracy.mean, 0.875)
        XCTAssertEqual(summary.accuracy.std, 0.125)
        let json = try JSONSerialization.jsonObject(with: try summary.jsonData()) as! [String: Any]
        XCTAssertEqual(json["runs"] as? Int, 2)
        XCTAssertNotNil((json["macro_f1"] as? [String: Any])?["std_sample"])
        XCTAssertEqual((json["per_run"] as? [Any])?.count, 2)
        let table = summary.table()
        XCTAssertTrue(table.contains("accuracy   87.50 ±  12.50     17.68"), table)
        XCTAssertTrue(a.table().contains("1 fake    0.6667     1.0000  0.8000  2"), a.table())
        XCTAssertThrowsError(try MetricSummary([]))
    }
}

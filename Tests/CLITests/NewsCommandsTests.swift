import _TestSupport
import XCTest

/// `trellis news-graph` and `trellis align` end to end on samples/news (shipped with the repository).
final class NewsCommandsTests: XCTestCase {
    let samples = TestSupport.repoRoot.appendingPathComponent("samples/news")
    func sample(_ name: String) -> String { samples.appendingPathComponent(name).path }

    func testNewsGraphThenAlignLabelOnly() throws {
        let dir = try scratchDirectory("news-cli")
        let graph = dir.appendingPathComponent("g.tsv").path
        var r = try TestSupport.runTrellis(["news-graph", "--articles", sample("fang_articles_sample.csv"),
                                            "--engagements", sample("fang_engagements_sample.csv"),
                                            "--min-user-records", "5", "--output", graph])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("96 nodes, 260 edges, 38 isolated, 132 active users"), r.stdout)
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("g.stats.json"))) as! [String: Any]
        XCTAssertEqual(stats["nodes"] as? Int, 96)
        XCTAssertEqual((stats["construction"] as? [String: Any])?["active_users"] as? Int, 132)
        XCTAssertTrue(try String(contentsOfFile: graph, encoding: .utf8).hasPrefix("row\tcol\tweight\n"))

        let out = dir.appendingPathComponent("r.json").path
        r = try TestSupport.runTrellis(["align", "--graph", graph, "--train", sample("fang_train_16.csv"),
                                        "--test", sample("fang_test_sample.csv"), "--output", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("label-only"), r.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        XCTAssertEqual(json["mode"] as? String, "label-only")
        XCTAssertEqual(json["accuracy"] as? Double, 58.0 / 80)
        XCTAssertNotNil(json["macro_f1"] as? Double)
        XCTAssertEqual((json["articles"] as? [Any])?.count, 80)

        // With prompt predictions (made up here: confident and right for every 4th article, unsure otherwise).
        let test = try String(contentsOfFile: sample("fang_test_sample.csv"), encoding: .utf8)
        XCTAssertTrue(test.hasPrefix("0,"))
        var pred = "index,p_real,p_fake\n"
        for i in 0..<80 {
            let real = i < 40
            pred += i % 4 == 0 ? (real ? "\(i),0.9,0.05\n" : "\(i),0.05,0.9\n") : "\(i),0.3,0.31\n"
        }
        let predPath = dir.appendingPathComponent("pred.csv").path
        try pred.write(toFile: predPath, atomically: true, encoding: .utf8)
        let out2 = dir.appendingPathComponent("r2.json").path
        r = try TestSupport.runTrellis(["align", "--graph", graph, "--train", sample("fang_train_16.csv"),
                                        "--test", sample("fang_test_sample.csv"), "--predictions", predPath,
                                        "--steps", "2", "--percentile", "95", "--output", out2])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json2 = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out2))) as! [String: Any]
        XCTAssertEqual(json2["mode"] as? String, "prompt")
        XCTAssertEqual(json2["hardened"] as? Int, 20) // the 20 confident rows share the top margin
        XCTAssertNotNil(json2["threshold"] as? Double)
    }

    func testErrorsAreReportedWithPositions() throws {
        let dir = try scratchDirectory("news-cli")
        let pred = dir.appendingPathComponent("pred.csv").path
        try "p_real,p_fake\n0.5,0.5\n0.5,oops\n".write(toFile: pred, atomically: true, encoding: .utf8)
        let graph = dir.appendingPathComponent("g.tsv").path
        try "row\tcol\tweight\n0\t0\t1\n".write(toFile: graph, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("never.json").path
        var r = try TestSupport.runTrellis(["align", "--graph", graph, "--train", sample("fang_train_16.csv"),
                                            "--test", sample("fang_test_sample.csv"), "--predictions", pred,
                                            "--output", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("pred.csv:3: field 2: expected a finite probability"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        r = try TestSupport.runTrellis(["align", "--graph", graph, "--train", sample("fang_train_16.csv"),
                                        "--test", sample("fang_test_sample.csv"), "--output", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("graph size: expected 96 nodes"), r.stderr)

        r = try TestSupport.runTrellis(["news-graph", "--articles", sample("fang_articles_sample.csv"), "--output", out])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--engagements: articles and engagements go together"), r.stderr)
    }
}

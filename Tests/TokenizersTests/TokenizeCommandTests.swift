import Foundation
import XCTest
import _TestSupport
import Tokenizers

/// `trellis tokenize` end to end against the reference ids of the fixture.
final class TokenizeCommandTests: XCTestCase {
    func testPlainAndJSONLInput() throws {
        guard FileManager.default.fileExists(atPath: TestSupport.trellisBinary.path) else { throw XCTSkip("trellis not built") }
        let cases = try Fixtures.jsonl("cases.jsonl").filter { $0["kind"] as? String == "bpe" }
            .filter { !($0["text"] as! String).contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\u{2028}" }) }.prefix(40)
        let dir = try TestSupport.temporaryDirectory("tok-cli")
        let plain = dir.appendingPathComponent("in.txt"), jsonl = dir.appendingPathComponent("in.jsonl")
        try cases.map { $0["text"] as! String }.joined(separator: "\n").appending("\n").write(to: plain, atomically: true, encoding: .utf8)
        let lines = try cases.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0["text"]!]), as: UTF8.self) }
        try lines.joined(separator: "\n").write(to: jsonl, atomically: true, encoding: .utf8)
        let bpe = Fixtures.path("bpe")
        for args in [["--input", plain.path], ["--input", jsonl.path, "--jsonl"]] {
            let r = try TestSupport.runTrellis(["tokenize", "--tokenizer", bpe] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
            let got = r.stdout.split(separator: "\n").map { Fixtures.ints(try? JSONSerialization.jsonObject(with: Data($0.utf8))) }
            XCTAssertEqual(got, cases.map { Fixtures.ints($0["ids"]) })
        }
        let t = try TestSupport.runTrellis(["tokenize", "--tokenizer", bpe, "--input", plain.path, "--max-length", "5", "--no-special-tokens"])
        XCTAssertTrue(t.stdout.split(separator: "\n").allSatisfy { $0.split(separator: ",").count <= 5 })
        let bad = try TestSupport.runTrellis(["tokenize", "--tokenizer", bpe, "--input", plain.path, "--jsonl"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("in.txt:1:"), bad.stderr)
    }
}

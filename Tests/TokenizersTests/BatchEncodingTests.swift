import Foundation
import XCTest
import _TestSupport
import Tokenizers

final class BatchEncodingTests: XCTestCase {
    let texts = ["Hello world!", "A somewhat longer sentence, with punctuation; and more words.", "", "short"]

    func testPaddingAndMasks() throws {
        let tok = try Fixtures.bpe()
        let longest = tok.encodeBatch(texts, padding: .longest)
        let n = longest.map(\.count).max()!
        for (e, t) in zip(longest, texts) {
            let plain = tok.encode(t)
            XCTAssertEqual(e.count, n)
            XCTAssertEqual(Array(e.ids.prefix(plain.count)), plain.ids)
            XCTAssertEqual(e.attentionMask, Array(repeating: 1, count: plain.count) + Array(repeating: 0, count: n - plain.count))
            XCTAssertTrue(e.ids.dropFirst(plain.count).allSatisfy { $0 == tok.padId })
        }
        let fixed = tok.encodeBatch(texts, padding: .fixed(8), maxLength: 8)
        XCTAssertTrue(fixed.allSatisfy { $0.count == 8 && $0.ids.first == 0 })
        XCTAssertEqual(fixed[1].ids.last, 2)  // truncated, still closed by </s>
        XCTAssertEqual(tok.encodeBatch(texts).map(\.count), texts.map { tok.encode($0).count })
    }

    /// The threaded batch path gives the same encodings as one-by-one encoding.
    func testThreadedBatchEqualsSequential() throws {
        let lines = try String(contentsOfFile: Fixtures.path("cases.jsonl"), encoding: .utf8)
        let many = try Fixtures.jsonl("cases.jsonl").compactMap { $0["text"] as? String } + [lines]
        let tok = try Fixtures.bpe()
        let batch = tok.encodeBatch(many, maxLength: 64, threads: 4)
        XCTAssertEqual(batch, many.map { tok.encode($0, maxLength: 64) })
    }

    func testTokensAndSpecialMask() throws {
        let tok = try Fixtures.bpe()
        let e = tok.encode("Hello world", "again")
        XCTAssertEqual(e.tokens.first, "<s>")
        XCTAssertEqual(e.tokens.filter { $0 == "</s>" }.count, 3)
        XCTAssertEqual(e.specialTokensMask.reduce(0, +), 4)
        XCTAssertEqual(e.sequenceIds.compactMap { $0 }.max(), 1)
        XCTAssertEqual(tok.decode(e.ids, skipSpecialTokens: true), "Hello worldagain")
    }

    /// The hand-written GPT-2 pre-tokenizer against the regular expression it implements (ICU's `\p{L}` and
    /// `\p{N}` on ordinary text), on every fixture text.
    func testPreTokenizerMatchesRegex() throws {
        let re = try NSRegularExpression(pattern: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#)
        var checked = 0
        for c in try Fixtures.jsonl("cases.jsonl") where c["kind"] as? String == "bpe" {
            let text = c["text"] as! String
            // ICU's Unicode version differs from the reference tables on rare characters: compare ASCII-heavy texts.
            guard text.unicodeScalars.allSatisfy({ $0.value < 0x2000 }) else { continue }
            let ns = text as NSString
            let expected = re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
            XCTAssertEqual(BPETokenizer.preTokenize(text), expected, text)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 300)
    }
}

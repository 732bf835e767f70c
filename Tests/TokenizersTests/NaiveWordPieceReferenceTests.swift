import Foundation
import XCTest
import Tokenizers

/// The fast WordPiece (byte-keyed vocabulary, one-pass normalizer, word cache) held against a naive
/// reference written from BERT's definition with `String` dictionaries, on the ASCII fixture texts.
final class NaiveWordPieceReferenceTests: XCTestCase {
    func naiveEncode(_ text: String, vocab: [String: Int]) -> [Int] {
        // Basic tokenizer for ASCII: drop controls, lower-case, split at whitespace, isolate punctuation.
        var words: [String] = [], cur = ""
        for u in text.unicodeScalars {
            let v = u.value
            if v == 9 || v == 10 || v == 13 || v == 32 { if !cur.isEmpty { words.append(cur); cur = "" }; continue }
            if v < 32 || v == 127 { continue }
            let punct = (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
            if punct { if !cur.isEmpty { words.append(cur); cur = "" }; words.append(String(u)); continue }
            cur.unicodeScalars.append(contentsOf: String(u).lowercased().unicodeScalars)
        }
        if !cur.isEmpty { words.append(cur) }
        var ids: [Int] = []
        for w in words {
            let chars = Array(w.unicodeScalars)
            if chars.count > 100 { ids.append(vocab["[UNK]"]!); continue }
            var pieces: [Int] = [], start = 0, bad = false
            while start < chars.count {
                var end = chars.count, found: Int? = nil
                while start < end {
                    var sub = String(String.UnicodeScalarView(chars[start..<end]))
                    if start > 0 { sub = "##" + sub }
                    if let id = vocab[sub] { found = id; break }
                    end -= 1
                }
                guard let id = found else { bad = true; break }
                pieces.append(id)
                start = end
            }
            ids += bad ? [vocab["[UNK]"]!] : pieces
        }
        return ids
    }

    func testFastWordPieceMatchesNaiveReference() throws {
        let bert = try Fixtures.bert()
        let lines = try String(contentsOf: Fixtures.shared("models/all-MiniLM-L6-v2/vocab.txt"), encoding: .utf8)
            .components(separatedBy: "\n")
        var vocab: [String: Int] = [:]
        for (i, t) in lines.enumerated() where !t.isEmpty { vocab[t] = i }
        var checked = 0
        for c in try Fixtures.jsonl("cases.jsonl") where c["kind"] as? String == "bert" {
            let text = c["text"] as! String
            guard text.unicodeScalars.allSatisfy({ $0.value < 128 }), !text.contains("[") else { continue }
            XCTAssertEqual(bert.encode(text, addSpecialTokens: false).ids, naiveEncode(text, vocab: vocab), text)
            checked += 1
        }
        print("naive WordPiece reference: \(checked) ASCII texts compared")
        XCTAssertGreaterThan(checked, 20)
    }
}

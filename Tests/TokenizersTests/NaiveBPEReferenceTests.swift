import Foundation
import XCTest
import Tokenizers

/// The fast BPE (byte-keyed tables, linear merge scan, word cache) held against a naive reference written
/// straight from the algorithm's definition with `String` dictionaries, on every fixture text.
final class NaiveBPEReferenceTests: XCTestCase {
    /// GPT-2's byte → printable character table, rebuilt from its definition.
    static let byteChars: [String] = {
        var printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [String](repeating: "", count: 256)
        for b in printable { table[b] = String(Unicode.Scalar(UInt32(b))!) }
        var n: UInt32 = 256
        for b in 0..<256 where !printable.contains(b) { table[b] = String(Unicode.Scalar(n)!); n += 1; printable.append(b) }
        return table
    }()

    func naiveEncode(_ text: String, vocab: [String: Int], ranks: [String: Int]) -> [Int] {
        var ids: [Int] = []
        for piece in BPETokenizer.preTokenize(text) {
            var symbols = piece.utf8.map { Self.byteChars[Int($0)] }
            while symbols.count > 1 {
                var best: (rank: Int, at: Int)? = nil
                for i in 0..<(symbols.count - 1) {
                    if let r = ranks[symbols[i] + " " + symbols[i + 1]], best == nil || r < best!.rank { best = (r, i) }
                }
                guard let b = best else { break }
                symbols[b.at] += symbols[b.at + 1]
                symbols.remove(at: b.at + 1)
            }
            ids += symbols.map { vocab[$0]! }
        }
        return ids
    }

    func testFastBPEMatchesNaiveReference() throws {
        let vocabJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("bpe/vocab.json"))))
        let vocab = (vocabJSON as! [String: NSNumber]).mapValues(\.intValue)
        var ranks: [String: Int] = [:]
        let lines = try String(contentsOfFile: Fixtures.path("bpe/merges.txt"), encoding: .utf8).components(separatedBy: "\n")
        for line in lines where !line.isEmpty && !line.hasPrefix("#version") && ranks[line] == nil { ranks[line] = ranks.count }
        var checked = 0
        for c in try Fixtures.jsonl("cases.jsonl") where c["kind"] as? String == "bpe" {
            let text = c["text"] as! String
            guard !["<s>", "</s>", "<pad>", "<unk>", "<mask>"].contains(where: { text.contains($0) }) else { continue }
            XCTAssertEqual(try Fixtures.bpe().encode(text, addSpecialTokens: false).ids, naiveEncode(text, vocab: vocab, ranks: ranks),
                           text.debugDescription)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 300)
    }
}

import Foundation
import XCTest
import _TestSupport
import Tokenizers

/// Ids, offsets, masks and decoding compared with the Python `tokenizers` package (fixtures made by
/// scripts/fixtures/tokenizer_cases.py).
final class ParityTests: XCTestCase {
    func check(kind: String, _ tok: any Tokenizer, minimum: Int = 300, file: StaticString = #filePath, line: UInt = #line) throws {
        let cases = try Fixtures.jsonl("cases.jsonl").filter { $0["kind"] as? String == kind }
        XCTAssertGreaterThan(cases.count, minimum)
        var bad = 0
        for c in cases {
            let text = c["text"] as! String
            let ids = Fixtures.ints(c["ids"])
            let e = tok.encode(text)
            let ns = tok.encode(text, addSpecialTokens: false)
            let tr = tok.encode(text, maxLength: 32)
            var ok = e.ids == ids && ns.ids == Array(ids.dropFirst().dropLast()) && tr.ids == Fixtures.ints(c["trunc"])
            if let off = c["offsets"] as? [[Any]] {
                let expected = off.map { ($0[0] as! NSNumber).intValue..<($0[1] as! NSNumber).intValue }
                if e.offsets != expected { ok = false; print("offsets \(kind) \(text.debugDescription):\n  \(e.offsets)\n  \(expected)") }
                XCTAssertEqual(e.typeIds, Fixtures.ints(c["type_ids"]), file: file, line: line)
                XCTAssertEqual(e.specialTokensMask, Fixtures.ints(c["special_mask"]), file: file, line: line)
                XCTAssertEqual(tok.decode(e.ids, skipSpecialTokens: true), c["decoded"] as? String, text, file: file, line: line)
                XCTAssertEqual(tok.decode(e.ids, skipSpecialTokens: false), c["decoded_all"] as? String, text, file: file, line: line)
            }
            if !ok {
                bad += 1
                if bad <= 5 { print("MISMATCH \(kind) \(text.prefix(200).debugDescription)\n  got \(e.ids.prefix(60))\n  exp \(ids.prefix(60))") }
            }
        }
        print("\(kind): \(cases.count - bad)/\(cases.count) texts identical")
        XCTAssertEqual(bad, 0, "\(bad) of \(cases.count) \(kind) texts differ", file: file, line: line)
    }

    func testWordPieceParity() throws {
        try check(kind: "bert", try Fixtures.bert())
    }

    func testByteLevelBPEParity() throws { try check(kind: "bpe", try Fixtures.bpe()) }

    /// vocab.json + merges.txt give the same ids as tokenizer.json.
    func testByteLevelBPEFromVocabAndMerges() throws {
        try check(kind: "bpe", try TokenizerLoader.load(path: Fixtures.path("bpe/vocab.json")))
    }

    /// The same BPE with `add_prefix_space` (offsets of the added space trimmed as Hugging Face does).
    func testByteLevelBPEWithPrefixSpace() throws {
        let vocabObj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("bpe/vocab.json"))))
        let vocab = (vocabObj as! [String: NSNumber]).mapValues(\.intValue)
        let merges = try String(contentsOfFile: Fixtures.path("bpe/merges.txt"), encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#version") }.map { l -> (String, String) in
                let p = l.split(separator: " "); return (String(p[0]), String(p[1]))
            }
        var o = BPETokenizer.Options()
        o.addPrefixSpace = true
        let added = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].map { AddedToken($0, id: vocab[$0]!, lstrip: $0 == "<mask>") }
        try check(kind: "bpe_prefix", try BPETokenizer(vocabulary: vocab, merges: merges, options: o, addedTokens: added), minimum: 80)
    }

    /// Every BMP character (and a sample above it), 512 per text: lower-casing, accent stripping and the
    /// character classes agree with the reference character by character.
    func testWordPieceEveryCharacter() throws {
        let bert = try Fixtures.bert()
        var bad = 0, total = 0
        for c in try Fixtures.jsonl("cases.jsonl") where c["kind"] as? String == "bert_chars" {
            let text = c["text"] as! String
            let got = bert.encode(text, addSpecialTokens: false).ids, exp = Fixtures.ints(c["ids"])
            total += 1
            if got != exp {
                bad += 1
                let i = (0..<min(got.count, exp.count)).first { got[$0] != exp[$0] } ?? min(got.count, exp.count)
                print("differs at token \(i): got \(got[i...].prefix(5)) expected \(exp[i...].prefix(5)) in chunk starting U+\(String(text.unicodeScalars.first!.value, radix: 16))")
            }
        }
        XCTAssertGreaterThan(total, 100)
        XCTAssertEqual(bad, 0)
    }

    /// vocab.txt + tokenizer_config.json (the slow-tokenizer files) give the same ids as tokenizer.json.
    func testWordPieceFromVocabTxt() throws {
        let path = try Fixtures.shared("models/all-MiniLM-L6-v2/vocab.txt")
        try check(kind: "bert", try TokenizerLoader.load(path: path.path))
    }

    func testPairsBPEAndESM() throws {
        try checkPairs(["bpe": try Fixtures.bpe(), "esm": try Fixtures.esm()])
    }

    /// The BERT pairs need the real vocabulary (../shared); they skip as a whole, visibly, when it is absent.
    func testPairsBERT() throws { try checkPairs(["bert": try Fixtures.bert()]) }

    func checkPairs(_ tokenizers: [String: any Tokenizer]) throws {
        var checked = 0
        for c in try Fixtures.jsonl("pairs.jsonl") {
            let kind = try XCTUnwrap(c["kind"] as? String)
            guard let tok = tokenizers[kind] else { continue }
            checked += 1
            let a = c["a"] as! String, b = c["b"] as! String
            let e = tok.encode(a, b)
            XCTAssertEqual(e.ids, Fixtures.ints(c["ids"]), "\(kind) \(a) | \(b)")
            guard kind != "esm" else { continue }
            XCTAssertEqual(e.typeIds, Fixtures.ints(c["type_ids"]), "\(kind) \(a) | \(b)")
            let off = (c["offsets"] as! [[Any]]).map { ($0[0] as! NSNumber).intValue..<($0[1] as! NSNumber).intValue }
            XCTAssertEqual(e.offsets, off, "\(kind) \(a) | \(b)")
            let t = tok.encode(a, b, maxLength: 24)
            XCTAssertEqual(t.ids, Fixtures.ints(c["trunc"]), "\(kind) truncated \(a) | \(b)")
            XCTAssertEqual(t.typeIds, Fixtures.ints(c["trunc_type_ids"]), "\(kind) truncated \(a) | \(b)")
        }
        XCTAssertGreaterThan(checked, 0, "no pairs of kind \(tokenizers.keys.sorted()) in pairs.jsonl")
    }

    /// Every FANG title and article and every proteome protein against ids the reference script computes
    /// in the same run (TRELLIS_HEAVY=1; needs python with `tokenizers` and `transformers`).
    func testEveryFANGTextAndProtein() throws {
        guard ProcessInfo.processInfo.environment["TRELLIS_HEAVY"] == "1" else { throw XCTSkip("set TRELLIS_HEAVY=1") }
        let bert = try Fixtures.bert(), bpe = try Fixtures.bpe(), esm = try Fixtures.esm()
        // Python is an optional resource: absent (TRELLIS_PYTHON unset) skips; a run that fails is a failure.
        guard let python = ProcessInfo.processInfo.environment["TRELLIS_PYTHON"] else {
            throw XCTSkip("set TRELLIS_PYTHON to a python with tokenizers and transformers")
        }
        let out = try scratchDirectory("tok-heavy").appendingPathComponent("full.jsonl")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, TestSupport.repoRoot.appendingPathComponent("scripts/fixtures/tokenizer_cases.py").path,
                       "--out", Fixtures.dir.path, "--full", out.path]
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "scripts/fixtures/tokenizer_cases.py --full failed under \(python)")
        guard p.terminationStatus == 0 else { return }
        var counts: [String: (Int, Int)] = [:]
        for c in try Fixtures.jsonl(at: out.path) {
            let kind = c["kind"] as! String
            let tok = kind == "bert" ? bert : kind == "bpe" ? bpe : esm
            let text = c["text"] as! String
            var ok = tok.encode(text).ids == Fixtures.ints(c["ids"])
            if kind == "esm" {
                ok = ok && tok.encode(text, addSpecialTokens: false).ids == Fixtures.ints(c["ids_no_special"])
            } else {
                ok = ok && tok.encode(text, maxLength: 32).ids == Fixtures.ints(c["trunc"])
                    && tok.encode(text, addSpecialTokens: false).ids == Array(Fixtures.ints(c["ids"]).dropFirst().dropLast())
            }
            counts[kind, default: (0, 0)].0 += ok ? 1 : 0
            counts[kind, default: (0, 0)].1 += 1
            if !ok { print("MISMATCH \(kind): \(text.prefix(120).debugDescription)") }
        }
        for (k, (good, all)) in counts.sorted(by: { $0.key < $1.key }) {
            print("\(k): \(good)/\(all) identical")
            XCTAssertEqual(good, all, k)
        }
    }
}

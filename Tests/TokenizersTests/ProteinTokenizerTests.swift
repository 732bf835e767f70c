import Foundation
import XCTest
import _TestSupport
import Tokenizers

final class ProteinTokenizerTests: XCTestCase {
    /// Every ESM case of the fixture (hard cases and every 50th proteome protein) against transformers' EsmTokenizer.
    func testESMMatchesTransformers() throws {
        let cases = try Fixtures.jsonl("cases.jsonl").filter { $0["kind"] as? String == "esm" }
        XCTAssertGreaterThan(cases.count, 60)
        for tok in [try Fixtures.esm(), ProteinTokenizer.esm() as any Tokenizer] {
            for c in cases {
                let text = c["text"] as! String
                XCTAssertEqual(tok.encode(text).ids, Fixtures.ints(c["ids"]), text)
                XCTAssertEqual(tok.encode(text, addSpecialTokens: false).ids, Fixtures.ints(c["ids_no_special"]), text)
            }
        }
    }

    func testDesignExamples() {
        XCTAssertEqual(ProteinTokenizer.esm().encode("ACDE").ids, [0, 5, 23, 13, 9, 2])
        let mlm = ProteinTokenizer.xtrimopglm()
        XCTAssertEqual(mlm.encode("ACDE").ids, [2, 20, 10, 6, 34])
        XCTAssertEqual(mlm.encode("<gmask><sop><eos>ACDE", addSpecialTokens: false).ids, [29, 32, 34, 2, 20, 10, 6])
        XCTAssertEqual(mlm.with(mode: .clm).encode("ACDE").ids, [29, 32, 34, 2, 20, 10, 6])
        XCTAssertEqual(mlm.encode("AC", "DE").ids, [2, 20, 34, 10, 6, 34])
        XCTAssertEqual(mlm.encode("A<mask>C").ids, [2, 28, 20, 34])
        XCTAssertEqual(mlm.vocabularySize, 36)
        // xTrimoPGLM residue id = ESM id − 3.
        let esm = ProteinTokenizer.esm()
        for r in "LAGVSERTIDPKQNFYMHWCXBUZO.-" {
            XCTAssertEqual(mlm.id(of: String(r))! + 3, esm.id(of: String(r))!)
        }
    }

    /// The GLM layout of the reference (context + `<gmask><sop>` + span) and the byte fast path, which must
    /// give exactly what `encode` gives for every flavor and mode.
    func testGLMLayoutAndResidueFastPath() {
        let glm = ProteinTokenizer.xtrimopglm(mode: .glm)
        XCTAssertEqual(glm.encode("AC").ids, [2, 20, 29, 32])
        XCTAssertEqual(glm.encode("AC", "DE").ids, [2, 20, 29, 32, 10, 6])
        XCTAssertEqual(glm.encode(residues: Array("AC".utf8), second: Array("DE".utf8)), [2, 20, 29, 32, 10, 6])
        var rng = SystemRandomNumberGenerator()
        let letters = Array("LAGVSERTIDPKQNFYMHWCXBUZO.-".utf8)
        for t in [ProteinTokenizer.esm(), .xtrimopglm(), .xtrimopglm(mode: .clm), .xtrimopglm(mode: .glm)] {
            for n in [0, 1, 5, 300] {
                let r = (0..<n).map { _ in letters.randomElement(using: &rng)! }
                XCTAssertEqual(t.encode(residues: r).map(Int.init), t.encode(String(decoding: r, as: UTF8.self)).ids)
                let ids = t.encode(residues: r)
                XCTAssertEqual(Array(ids[t.residueOffset..<(t.residueOffset + n)].map { t.residue(of: $0)! }), r)
            }
            XCTAssertNil(t.residue(of: Int32(t.id(of: "<eos>")!)))
            XCTAssertEqual(t.encode(residues: Array("A*".utf8)).count, t.encode(residues: Array("AB".utf8)).count)
        }
        XCTAssertEqual(ProteinTokenizer.esm().residueOffset, 1)
        XCTAssertEqual(ProteinTokenizer.xtrimopglm(mode: .clm).residueOffset, 3)
        XCTAssertEqual(ProteinTokenizer.xtrimopglm().residueOffset, 0)
    }

    /// Lowercase letters, unknown characters and the stop symbol, per flavor and option.
    func testUnknownLowercaseAndStop() {
        let esm = ProteinTokenizer.esm()
        XCTAssertEqual(esm.encode("MKV*", addSpecialTokens: false).ids, [20, 15, 7, 3])      // * → <unk>
        XCTAssertEqual(esm.encode("mkv", addSpecialTokens: false).ids, [3])                  // one <unk> per run
        XCTAssertEqual(esm.encode("A**B", addSpecialTokens: false).ids, [5, 3, 25])
        var o = ProteinTokenizer.Options()
        o.uppercase = true
        o.dropStopSymbols = true
        XCTAssertEqual(ProteinTokenizer.esm(options: o).encode("mkV*", addSpecialTokens: false).ids, [20, 15, 7])
        let pglm = ProteinTokenizer.xtrimopglm()
        XCTAssertEqual(pglm.encode("MK*j", addSpecialTokens: false).ids, [17, 12, 35, 35])  // one <unk> per character
        XCTAssertEqual(ProteinTokenizer.xtrimopglm(options: o).encode("mk*").ids, [17, 12, 34])
        XCTAssertEqual(esm.encode("A C\nD").offsets, [0..<0, 0..<1, 2..<3, 4..<5, 0..<0])
    }

    func testDecode() {
        let esm = ProteinTokenizer.esm()
        XCTAssertEqual(esm.decode(esm.encode("MKV<mask>A").ids, skipSpecialTokens: true), "MKVA")
        XCTAssertEqual(esm.decode(esm.encode("MKV<mask>A").ids, skipSpecialTokens: false), "<cls>MKV<mask>A<eos>")
    }

    func testLoadingFromCheckpointFiles() throws {
        let text = try TokenizerLoader.load(path: Fixtures.path("xtrimopglm"))
        let proto = try TokenizerLoader.load(path: Fixtures.path("xtrimopglm/tokenizer.pb.model"))
        let plain = try TokenizerLoader.load(path: Fixtures.path("xtrimopglm/tokenizer.model"))
        for t in [text, proto, plain] {
            XCTAssertEqual(t.kind, "xtrimopglm")
            XCTAssertEqual(t.encode("ACDE").ids, [2, 20, 10, 6, 34])
            XCTAssertEqual(t.id(of: "<unk>"), 35)
        }
        // Only tokenizer_config.json: the built-in residues with the declared special tokens.
        let cfgOnly = try scratchDirectory("pglm-config")
        try FileManager.default.copyItem(atPath: Fixtures.path("xtrimopglm/tokenizer_config.json"),
                                         toPath: cfgOnly.appendingPathComponent("tokenizer_config.json").path)
        let fromConfig = try TokenizerLoader.load(path: cfgOnly.path)
        XCTAssertEqual(fromConfig.kind, "xtrimopglm")
        XCTAssertEqual(fromConfig.encode("<gmask><sop><eos>ACDE").ids, [29, 32, 34, 2, 20, 10, 6, 34])
        let esm = try TokenizerLoader.load(path: Fixtures.path("esm"))
        XCTAssertEqual(esm.kind, "esm")
        XCTAssertEqual(esm.encode("ACDE").ids, [0, 5, 23, 13, 9, 2])
        // A model directory that only says model_type: esm falls back to the built-in table.
        let dir = try scratchDirectory("esm-config")
        try #"{"model_type": "esm"}"#.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try TokenizerLoader.load(path: dir.path).encode("ACDE").ids, [0, 5, 23, 13, 9, 2])
    }
}

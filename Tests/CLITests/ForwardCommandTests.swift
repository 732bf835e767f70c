import Foundation
import Tensors
import XCTest
import _TestSupport

/// `trellis forward` end to end: FASTA in, safetensors out, compared with the fixture references.
final class ForwardCommandTests: XCTestCase {
    private func fixture(_ name: String) -> URL {
        TestSupport.fixtures.appendingPathComponent("models").appendingPathComponent(name)
    }

    private func runForward(model: String, fasta: String, extra: [String], file: String = "in.faa",
                            stderr: ((String) -> Void)? = nil) throws -> SafetensorsFile
    {
        let dir = try TestSupport.temporaryDirectory("forward")
        let input = dir.appendingPathComponent(file), output = dir.appendingPathComponent("out.safetensors")
        try Data(fasta.utf8).write(to: input)
        let r = try TestSupport.runTrellis(["forward", "--model", fixture(model).path, "--input", input.path,
                                            "--output", output.path] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        stderr?(r.stderr)
        return try SafetensorsFile(url: output)
    }

    private func compare(_ out: SafetensorsFile, _ ref: SafetensorsFile, label: String) throws {
        XCTAssertEqual(try out.int64s("input_ids"), try ref.int64s("input_ids"), label)
        XCTAssertEqual(try out.int64s("attention_mask"), try ref.int64s("attention_mask"), label)
        for name in ref.names where name == "logits" || name.hasPrefix("hidden_states.") || name == "contacts" {
            let d = TestSupport.maxAbsDiff(try out.floats(name), try ref.floats(name), label: "\(label) \(name)")
            XCTAssertLessThan(d, 1e-4, "\(label) \(name)")
        }
    }

    func testEsmFastaWithContacts() throws {
        let fasta = ">a\nMKTAYIAKQRQISFVKSHFSRQLEERLGL\n>b\nGSHM<mask>LVKAE<mask>TR\n>c\nACDEFGHIKLMNPQRSTVWY\n>d\nMLFVVL\n"
        let out = try runForward(model: "esm2-tiny", fasta: fasta, extra: ["--contacts", "--batch-size", "3"]) { err in
            // Progress on stderr (not a TTY: plain lines), ending with the total.
            XCTAssertNotNil(err.range(of: "\\[forward\\] 4/4 sequences", options: .regularExpression), err)
        }
        try compare(out, SafetensorsFile(url: fixture("esm2-tiny").appendingPathComponent("reference.safetensors")),
                    label: "forward esm2-tiny")
    }

    func testPglmModes() throws {
        let inputs = try JSONSerialization.jsonObject(
            with: Data(contentsOf: fixture("pglm-tiny").appendingPathComponent("inputs.json"))) as! [String: Any]
        let modes = inputs["modes"] as! [String: Any]
        for mode in ["mlm", "clm"] {
            let seqs = (modes[mode] as! [String: Any])["inputs"] as! [String]
            let fasta = seqs.enumerated().map { ">s\($0.offset)\n\($0.element)\n" }.joined()
            let out = try runForward(model: "pglm-tiny", fasta: fasta, extra: ["--mode", mode])
            try compare(out, SafetensorsFile(url: fixture("pglm-tiny").appendingPathComponent("reference-\(mode).safetensors")),
                        label: "forward pglm-tiny \(mode)")
        }
    }

    /// GLM records with a marked mask position (`CONTEXT<gmask>SPAN`, `<sop>` optional) reproduce the
    /// reference's context + <gmask><sop> + span rows.
    func testPglmGlmContextAndSpan() throws {
        let inputs = try JSONSerialization.jsonObject(
            with: Data(contentsOf: fixture("pglm-tiny").appendingPathComponent("inputs.json"))) as! [String: Any]
        let glm = (inputs["modes"] as! [String: Any])["glm"] as! [String: Any]
        let rows = (glm["inputs"] as! [[String: String]]).enumerated().map { k, r in
            ">s\(k)\n\(r["context"]!)\(k == 1 ? "<gmask><sop>" : "<gmask>")\(r["span"]!)\n"
        }
        let out = try runForward(model: "pglm-tiny", fasta: rows.joined(), extra: ["--mode", "glm"])
        try compare(out, SafetensorsFile(url: fixture("pglm-tiny").appendingPathComponent("reference-glm.safetensors")),
                    label: "forward pglm-tiny glm context+span")
    }

    func testTextModelsOneTextPerLine() throws {
        for name in ["bert-tiny", "roberta-tiny", "bert-bare-tiny"] {
            let inputs = try JSONSerialization.jsonObject(
                with: Data(contentsOf: fixture(name).appendingPathComponent("inputs.json"))) as! [String: Any]
            let texts = inputs["texts"] as! [String]
            let out = try runForward(model: name, fasta: texts.joined(separator: "\n") + "\n", extra: [], file: "in.txt")
            try compare(out, SafetensorsFile(url: fixture(name).appendingPathComponent("reference.safetensors")),
                        label: "forward \(name)")
        }
    }

    func testBadResidueReportsPosition() throws {
        let dir = try scratchDirectory("forward")
        let input = dir.appendingPathComponent("bad.faa")
        try Data(">a\nMKT1A\n".utf8).write(to: input)
        let r = try TestSupport.runTrellis(["forward", "--model", fixture("esm2-tiny").path, "--input", input.path,
                                            "--output", dir.appendingPathComponent("o.safetensors").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad.faa:1: record 'a', residue 4"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.safetensors").path))
    }
}

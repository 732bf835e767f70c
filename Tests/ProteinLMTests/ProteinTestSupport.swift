import Foundation
import ProteinLM
import Tensors
import XCTest
import _TestSupport

/// Fixtures and helpers shared by the ProteinLM tests.
enum P {
    static var protein: URL { TestSupport.fixtures.appendingPathComponent("protein") }
    static var models: URL { TestSupport.fixtures.appendingPathComponent("models") }
    static func model(_ name: String) throws -> ProteinModel { try ProteinModel.load(models.appendingPathComponent(name)) }
    static func file(_ name: String) -> String { protein.appendingPathComponent(name).path }

    /// scores.json written by scripts/fixtures/protein.py.
    static func scores() throws -> [String: [String: [String: Double]]] {
        let data = try Data(contentsOf: protein.appendingPathComponent("scores.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: [String: [String: Any]]]
        return json.mapValues { $0.mapValues { $0.compactMapValues { ($0 as? NSNumber)?.doubleValue } } }
    }

    /// Writes `text` to a fresh temporary file and returns its path.
    static func temp(_ name: String, _ text: String) throws -> String {
        let dir = try TestSupport.temporaryDirectory("protein")
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Runs an embedding into a temporary file and opens it.
    static func embed(_ model: ProteinModel, fasta: String, _ configure: (inout EmbedOptions) -> Void) throws
        -> (SafetensorsFile, EmbedSummary)
    {
        var o = EmbedOptions()
        configure(&o)
        let out = try TestSupport.temporaryDirectory("embed").appendingPathComponent("out.safetensors")
        let s = try run(model, o, fasta: fasta, to: out)
        return (try SafetensorsFile(url: out), s)
    }

    /// Embeds `fasta` into `output` (nil: per-sequence files only).
    @discardableResult
    static func run(_ model: ProteinModel, _ o: EmbedOptions, fasta: String, to output: URL?) throws -> EmbedSummary {
        try EmbeddingRun(embedder: Embedder(model: model, options: o), fasta: fasta, output: output).run()
    }

    /// esm2-tiny and options with two records per window, so a run can be cut between windows (resume tests).
    static func twoRecordWindows() throws -> (ProteinModel, EmbedOptions) {
        var o = EmbedOptions()
        o.windowRecords = 2
        return (try model("esm2-tiny"), o)
    }

    /// Asserts `actual` is within `tolerance` of `expected` relative to max(1, |expected|) when `relative`.
    static func close(_ actual: Double, _ expected: Double, _ tolerance: Double, relative: Bool = false, _ what: String,
                      file: StaticString = #filePath, line: UInt = #line) {
        let scale = relative ? max(1, abs(expected)) : 1
        let d = abs(actual - expected) / scale
        print("\(what): |diff| = \(abs(actual - expected))")
        XCTAssertLessThanOrEqual(d, tolerance, "\(what): \(actual) vs reference \(expected)", file: file, line: line)
    }
}

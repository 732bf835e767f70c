import Foundation
import ProteinLM
import Tensors
import XCTest
import _TestSupport

/// Sharded protein.embed: embedding contiguous parts of a FASTA and assembling them in shard order gives
/// the file of the unsharded run: same index, tensor layout and values, bit for bit (batches are composed
/// differently, but a sequence's numbers do not depend on its batch; see BatchInvarianceTests).
final class EmbedShardingTests: XCTestCase {
    func assertSameEmbeddings(_ a: URL, _ b: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try SafetensorsFile(url: a), y = try SafetensorsFile(url: b)
        XCTAssertEqual(try EmbeddingIndex(file: x), try EmbeddingIndex(file: y), file: file, line: line)
        XCTAssertEqual(x.names, y.names, file: file, line: line)
        for n in x.names {
            let a = try x.floats(n), b = try y.floats(n)
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(n): max |diff| \(TestSupport.maxAbsDiff(a, b))",
                           file: file, line: line)
        }
    }

    func testGatheredShardsEqualTheWholeRun() throws {
        let dir = try scratchDirectory("shards")
        let model = try P.model("esm2-tiny")
        var o = EmbedOptions()
        o.include = [.mean, .perToken, .contacts]
        o.layers = [0, -1]
        func embed(_ fasta: String, _ name: String) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try P.run(model, o, fasta: fasta, to: url)
            return url
        }
        let whole = try embed(P.file("sequences.faa"), "whole.safetensors")
        let text = try String(contentsOfFile: P.file("sequences.faa"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let first = try P.temp("a.faa", lines[0..<6].joined(separator: "\n") + "\n")
        let second = try P.temp("b.faa", lines[6...].joined(separator: "\n"))
        let shards = [try embed(first, "a.safetensors"), try embed(second, "b.safetensors")]
        let gathered = dir.appendingPathComponent("gathered.safetensors")
        let settings = try EmbeddingIndex(file: .init(url: shards[0])).settings
        _ = try EmbeddingAssembler.assemble([(shards[0], 0), (shards[1], 1)], to: gathered, settings: settings)
        try assertSameEmbeddings(gathered, whole)
        // The same label in two shards is an error, not a silent overwrite.
        XCTAssertThrowsError(try EmbeddingAssembler.assemble([(shards[0], 0), (shards[0], 1)],
                                                             to: dir.appendingPathComponent("dup.safetensors"), settings: settings))
    }

    func testResumeAfterAnInterruptedRunFinishesTheRemainingLabels() throws {
        let dir = try scratchDirectory("interrupted")
        let model = try P.model("esm2-tiny")
        var o = EmbedOptions()
        o.include = [.mean, .bos]
        let whole = dir.appendingPathComponent("whole.safetensors")
        try P.run(model, o, fasta: P.file("sequences.faa"), to: whole)
        // An interrupted run left one finished part (the first three records) and no output.
        let text = try String(contentsOfFile: P.file("sequences.faa"), encoding: .utf8)
        let head = try P.temp("head.faa", text.split(separator: "\n")[0..<6].joined(separator: "\n") + "\n")
        let out = dir.appendingPathComponent("out.safetensors")
        let parts = dir.appendingPathComponent("out.safetensors.parts")
        try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
        try P.run(model, o, fasta: head, to: parts.appendingPathComponent("part-000001.safetensors"))
        o.resume = true
        let s = try P.run(model, o, fasta: P.file("sequences.faa"), to: out)
        XCTAssertEqual(s.resumed, 3)
        XCTAssertEqual(s.sequences, 2)
        try assertSameEmbeddings(out, whole)
        XCTAssertFalse(FileManager.default.fileExists(atPath: parts.path))
    }
}

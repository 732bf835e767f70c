import Foundation
import ProteinLM
import Tensors
import XCTest
import _TestSupport

/// A sequence's embedding is the same bits whatever else shares its batch: alone, or padded among longer
/// and shorter sequences (so sharded runs, which batch each shard's records by themselves, equal the
/// unsharded run byte for byte). Covers GEMM row counts from the few-row path (a 2-residue sequence
/// alone) to many tiles, attention P·V depths past one K block, and softmax rows with vector tails.
final class BatchInvarianceTests: XCTestCase {
    static let alphabet = Array("ACDEFGHIKLMNPQRSTVWY")

    static func protein(_ length: Int, seed: Int) -> String {
        String((0..<length).map { alphabet[(seed * 7 + $0 * ($0 % 5 + seed) + $0 / 3) % 20] })
    }

    /// Embeds `probe` alone and inside batches of other sequences; every tensor of the probe must match bitwise.
    func checkProbes(_ model: ProteinModel, include: [EmbedFeature], file: StaticString = #filePath, line: UInt = #line) throws {
        for probeLength in [2, 13, 37] {
            let probe = Self.protein(probeLength, seed: probeLength)
            let alone = try P.temp("alone.faa", ">probe\n\(probe)\n")
            var crowdText = ">probe\n\(probe)\n"
            for (i, n) in [1, 5, 40, 150, 300].enumerated() { crowdText += ">other\(i)\n\(Self.protein(n, seed: i + 3))\n" }
            let crowd = try P.temp("crowd.faa", crowdText)
            let configure: (inout EmbedOptions) -> Void = { o in
                o.include = include
                o.layers = [0, -1]
            }
            let (a, _) = try P.embed(model, fasta: alone, configure)
            let (b, _) = try P.embed(model, fasta: crowd, configure)
            let names = a.names.filter { $0.contains("probe") }
            XCTAssertFalse(names.isEmpty, file: file, line: line)
            for n in names {
                let x = try a.floats(n), y = try b.floats(n)
                let differing = zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertTrue(x.count == y.count && differing == 0,
                              "\(n) (probe of \(probeLength) residues): \(differing) of \(x.count) values differ, "
                                  + "max |diff| \(TestSupport.maxAbsDiff(x, y))", file: file, line: line)
            }
        }
    }

    func testESM2EmbeddingIsIndependentOfItsBatch() throws {
        try checkProbes(P.model("esm2-tiny"), include: [.mean, .perToken, .bos, .contacts])
    }

    func testPGLMEmbeddingIsIndependentOfItsBatch() throws {
        try checkProbes(P.model("pglm-tiny"), include: [.mean, .perToken])
    }

    /// The sample models are wider (hidden 64, FFN 256: K spans two GEMM K blocks) and deeper.
    func testRandomSampleModelsAreBatchInvariant() throws {
        let models = TestSupport.repoRoot.appendingPathComponent("models")
        try checkProbes(ProteinModel.load(models.appendingPathComponent("esm2-random-tiny")), include: [.mean, .perToken])
        try checkProbes(ProteinModel.load(models.appendingPathComponent("pglm-random-tiny")), include: [.mean, .perToken])
    }
}

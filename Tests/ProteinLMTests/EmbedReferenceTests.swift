import Foundation
import ProteinLM
import Tensors
import XCTest
import _TestSupport

/// protein.embed against scripts/fixtures/protein.py (extract.py's logic run with transformers / the
/// xTrimoPGLM torch reference) on the committed tiny checkpoints.
final class EmbedReferenceTests: XCTestCase {
    func compare(_ out: SafetensorsFile, _ ref: SafetensorsFile, prefix: String = "", names: [String]) throws {
        XCTAssertFalse(names.isEmpty)
        var worst: Float = 0
        for name in names {
            let mine = try out.floats(prefix + name), theirs = try ref.floats(name)
            XCTAssertEqual(try out.shape(prefix + name), try ref.shape(name), name)
            let d = TestSupport.maxAbsDiff(mine, theirs, label: name)
            worst = max(worst, d)
            XCTAssertLessThanOrEqual(d, 1e-4, name)
        }
        print("max |diff| over \(names.count) tensors: \(worst)")
    }

    func testESMFeaturesMatchExtractPy() throws {
        let ref = try SafetensorsFile(path: P.file("esm2-embed.safetensors"))
        let (out, summary) = try P.embed(try P.model("esm2-tiny"), fasta: P.file("sequences.faa")) {
            $0.layers = [0, 1, -1]
            $0.include = [.mean, .perToken, .bos, .contacts]
            $0.tokensPerBatch = 60      // several batches, with padding
        }
        XCTAssertEqual(summary.sequences, 5)
        // extract.py's per-label tensors, plus the stacked means (one [N, H] per layer).
        let stacked: Set<String> = ["mean_representations/0", "mean_representations/1", "mean_representations/2"]
        XCTAssertEqual(Set(out.names), Set(ref.names).union(stacked))
        try compare(out, ref, names: ref.names)
        let index = try EmbeddingIndex(file: out)
        XCTAssertEqual(index.labels, ["seqA first protein", "seqB", "seqC", "seqD short", "seqE"])
        XCTAssertEqual(index.lengths, [33, 11, 20, 6, 43])
    }

    func testPGLMEmbeddingIsFinalNormalisedLayerWithoutEOS() throws {
        let ref = try SafetensorsFile(path: P.file("pglm-embed.safetensors"))
        let (out, _) = try P.embed(try P.model("pglm-tiny"), fasta: P.file("sequences.faa")) {
            $0.layers = [1, -1]
            $0.include = [.mean, .perToken]
        }
        try compare(out, ref, names: ref.names)
    }

    func testPerSequenceFilesHoldTheSameTensors() throws {
        let ref = try SafetensorsFile(path: P.file("esm2-embed.safetensors"))
        let dir = try scratchDirectory("perseq")
        var o = EmbedOptions()
        o.layers = [2]
        o.include = [.mean, .contacts]
        o.perSequenceDirectory = dir
        try P.run(try P.model("esm2-tiny"), o, fasta: P.file("sequences.faa"), to: nil)
        let single = try SafetensorsFile(url: dir.appendingPathComponent("seqD short.safetensors"))
        XCTAssertEqual(single.metadata["label"], "seqD short")
        XCTAssertLessThanOrEqual(TestSupport.maxAbsDiff(try single.floats("mean_representations/2"),
                                                        try ref.floats("seqD short/mean_representations/2")), 1e-4)
        XCTAssertLessThanOrEqual(TestSupport.maxAbsDiff(try single.floats("contacts"), try ref.floats("seqD short/contacts")), 1e-4)
    }

    func testBatchingFollowsTheTokenBudget() throws {
        var o = EmbedOptions()
        o.tokensPerBatch = 30
        let e = try Embedder(model: try P.model("esm2-tiny"), options: o)
        let proteins = try ProteinReader.readAll(path: P.file("sequences.faa"))
        let batches = e.batches(proteins)
        // Sorted by length: seqD (8 tokens), seqB (13), seqC (22), seqA (35), seqE (45).
        XCTAssertEqual(batches, [[3, 1], [2], [0], [4]])
        for b in batches {
            let longest = b.map { proteins[$0].residues.count + 2 }.max()!
            XCTAssertTrue(b.count == 1 || longest * b.count <= 30)
        }
    }

    func testNegativeLayersMapLikeExtractPy() throws {
        var o = EmbedOptions()
        o.layers = [-1, -3, 0, 2]
        XCTAssertEqual(try o.resolvedLayers(layerCount: 2), [2, 0])
        o.layers = [-4]
        XCTAssertThrowsError(try o.resolvedLayers(layerCount: 2))
        o.layers = [3]
        XCTAssertThrowsError(try o.resolvedLayers(layerCount: 2))
    }
}

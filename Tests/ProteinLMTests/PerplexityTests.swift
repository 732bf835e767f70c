import Foundation
import ProteinLM
import Transformers
import XCTest
import _TestSupport

/// protein.perplexity's evaluator against the inference runtime, and its unigram baseline by hand.
final class PerplexityTests: XCTestCase {
    /// CLM perplexity from the evaluator (training model, batched, padded) equals exp(mean NLL) taken from the
    /// runtime's CLM logits of `<gmask><sop><eos>` + residues, one sequence at a time, with a naive log-softmax.
    func testCLMPerplexityMatchesRuntimeLogits() throws {
        for name in ["pglm-tiny", "pglm-tiny-2d"] {
            let dir = P.models.appendingPathComponent(name)
            let sequences = ["MKTAYIAKQRQISFVKSHFSRQ", "GLSDGEWQQVLNVWGKVEAD", "MVLSPADKTNVKAAW", "ACDEFGHIKLMNPQRSTVWY"]
            let ids = sequences.map(PretrainData.encode)
            let training = try PGLMTrainingModel(directory: dir)
            let ours = PerplexityEvaluator(context: 64, tokensPerBatch: 60, rotary2D: training.config.rotaryEmbedding2d)
                .evaluate(training, sequences: ids)
            let runtime = try ModelLoader.load(directory: dir)
            var nll = 0.0, n = 0
            for s in ids {
                let input: [Int32] = [PretrainData.gmask, PretrainData.sop, PretrainData.eos] + s
                let t = input.count
                let out = try runtime.forward(TokenBatch(batch: 1, length: t, ids: input, attentionMask: [Int32](repeating: 1, count: t)),
                                              options: ForwardOptions(hiddenStates: false, mode: .clm))
                let logits = try XCTUnwrap(out.logits), v = logits.count / t
                for i in 2..<(t - 1) {   // `<eos>` predicts the first residue, each residue the next
                    let row = logits[(i * v)..<((i + 1) * v)].map(Double.init)
                    let top = row.max()!
                    let logZ = top + log(row.reduce(0) { $0 + exp($1 - top) })
                    nll += logZ - row[Int(input[i + 1])]
                    n += 1
                }
            }
            let expected = exp(nll / Double(n))
            print("\(name): CLM perplexity evaluator \(ours.clm), runtime \(expected), |diff| \(abs(ours.clm - expected))")
            XCTAssertEqual(ours.clmResidues, n)
            XCTAssertEqual(ours.clm, expected, accuracy: 1e-4 * expected)
            XCTAssertGreaterThan(ours.mlmResidues, 0)
            XCTAssertEqual(ours.glmResidues, ids.map { $0.count - $0.count / 2 }.reduce(0, +))
        }
    }

    /// Add-one unigram over ids 1–27: training "AAAA" gives p(A) = 5/31 and p(C) = 1/31, so "AC" has 31/√5.
    func testUnigramBaselineByHand() {
        let data = PretrainData(train: [PretrainData.encode("AAAA"), []], heldOut: [PretrainData.encode("AC")])
        XCTAssertEqual(data.unigramPerplexity(context: 256), 31 / 5.0.squareRoot(), accuracy: 1e-9)
    }
}

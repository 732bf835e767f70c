import Foundation
import Formats
import Tensors
import Transformers

/// The masked-LM head of a BERT / RoBERTa checkpoint, applied to a few selected hidden rows:
/// dense → activation → LayerNorm → decoder (tied to the word embeddings unless stored) + bias.
struct MaskedLMHeadWeights {
    let hidden: Int
    let vocabulary: Int
    /// [H, H] dense transform (out × in) and [H] bias.
    let dense: [Float], denseBias: [Float]
    let normWeight: [Float], normBias: [Float]
    let eps: Float
    /// [V, H] decoder and [V] bias.
    let decoder: [Float], decoderBias: [Float]
    let activation: Activation

    init(directory: URL, roberta: Bool) throws {
        let ck = try SafetensorsCheckpoint(directory: directory)
        let config = try JSONReader.read(path: directory.appendingPathComponent("config.json").path).foundation as? [String: Any] ?? [:]
        let root = roberta ? "roberta." : "bert."
        let p = ck.contains(root + "embeddings.word_embeddings.weight") ? root : ""
        let hp = roberta ? "lm_head." : "cls.predictions."
        let (d, n) = roberta ? ("lm_head.dense", "lm_head.layer_norm") : ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm")
        guard ck.contains(d + ".weight") else {
            throw PromptAlignError.io(file: directory.path, message: "expected a masked-LM head ('\(d).weight'); "
                                      + "a bare encoder needs MaskedLMHeadCompletion first")
        }
        let words = try ck.floats(p + "embeddings.word_embeddings.weight")
        let shape = try ck.shape(p + "embeddings.word_embeddings.weight")
        vocabulary = shape[0]
        hidden = shape[1]
        dense = try ck.floats(d + ".weight")
        denseBias = try ck.floats(d + ".bias")
        normWeight = try ck.floats(n + ".weight")
        normBias = try ck.floats(n + ".bias")
        eps = Float((config["layer_norm_eps"] as? Double) ?? 1e-12)
        decoder = ck.contains(hp + "decoder.weight") ? try ck.floats(hp + "decoder.weight") : words
        decoderBias = ck.contains(hp + "bias") ? try ck.floats(hp + "bias")
            : ck.contains(hp + "decoder.bias") ? try ck.floats(hp + "decoder.bias") : [Float](repeating: 0, count: vocabulary)
        // RoBERTa's head always uses exact GELU; BERT's uses hidden_act.
        let act = (config["hidden_act"] as? String) ?? "gelu"
        guard let a = roberta ? .geluErf : Activation(name: act) else {
            throw PromptAlignError.invalidParameter(name: "hidden_act", value: act, expected: "gelu, gelu_new, relu or silu")
        }
        activation = a
        guard dense.count == hidden * hidden, decoder.count == vocabulary * hidden, decoderBias.count == vocabulary else {
            throw PromptAlignError.mismatch(what: directory.path, expected: "head tensors of hidden \(hidden), vocabulary \(vocabulary)",
                                            found: "other shapes")
        }
    }

    /// Logits [S, V] of `rows` hidden states [S, H].
    func logits(_ rows: [Float], count s: Int) -> [Float] {
        let h = hidden, v = vocabulary
        var x = [Float](repeating: 0, count: s * h)                                  // [S, H]
        for r in 0..<s {
            for o in 0..<h {
                var acc: Float = denseBias[o]
                for i in 0..<h { acc += rows[r * h + i] * dense[o * h + i] }
                x[r * h + o] = activation.apply(acc)
            }
            var mean: Float = 0
            for o in 0..<h { mean += x[r * h + o] }
            mean /= Float(h)
            var variance: Float = 0
            for o in 0..<h { let c = x[r * h + o] - mean; variance += c * c }
            let inv = 1 / (variance / Float(h) + eps).squareRoot()
            for o in 0..<h { x[r * h + o] = (x[r * h + o] - mean) * inv * normWeight[o] + normBias[o] }
        }
        var out = [Float](repeating: 0, count: s * v)                                // [S, V]
        x.withUnsafeBufferPointer { xp in
            decoder.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    gemm(transposeA: false, transposeB: true, m: s, n: v, k: h, a: xp.baseAddress!, lda: h,
                         b: wp.baseAddress!, ldb: h, c: op.baseAddress!, ldc: v)
                }
            }
        }
        for r in 0..<s { for j in 0..<v { out[r * v + j] += decoderBias[j] } }
        return out
    }
}

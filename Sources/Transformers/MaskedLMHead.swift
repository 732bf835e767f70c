import Foundation

/// The masked-LM head of BERT, RoBERTa and ESM-2: dense → activation → LayerNorm → decoder (+ bias).
struct MaskedLMHead {
    let dense: Linear
    let activation: Activation
    let norm: LayerNorm
    let decoder: Linear

    /// Logits [rows, V] of the final hidden states `x` [rows, H]; `scratch.normed` holds the transform.
    func logits(_ x: UnsafeMutablePointer<Float>, rows n: Int, hidden h: Int, vocabularySize v: Int,
                scratch: EncoderScratch) -> [Float] {
        dense(x, rows: n, out: scratch.normed.pointer)
        activation.apply(scratch.normed.pointer, count: n * h)
        norm(scratch.normed.pointer, rows: n, out: scratch.normed.pointer)
        let out = FloatBuffer(n * v)                                                    // [B, T, V]
        decoder(scratch.normed.pointer, rows: n, out: out.pointer)
        return out.array
    }
}

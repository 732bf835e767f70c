// The tensor-name tables of the checkpoint families: one per family, used by inference, training, random
// weights and the checkpoint anchors, so a name is spelled in one place.

/// The tensor names of one layer of a Hugging Face BERT / RoBERTa / ESM encoder, spelled once for
/// inference, training, random weights and the checkpoint anchors. Each is a module path: append
/// ".weight" or ".bias".
struct EncoderLayerNames {
    /// `<root>encoder.layer.<l>`; root is "bert.", "roberta.", "esm." or "" (a bare `BertModel`).
    let path: String
    /// ESM normalises before attention and MLP; BERT after each residual (post-LN), under other names.
    let preNorm: Bool

    init(root: String, layer: Int, preNorm: Bool) {
        path = "\(root)encoder.layer.\(layer)"
        self.preNorm = preNorm
    }

    var query: String { path + ".attention.self.query" }
    var key: String { path + ".attention.self.key" }
    var value: String { path + ".attention.self.value" }
    var attentionOutput: String { path + ".attention.output.dense" }
    /// The LayerNorm of the attention half: ESM's input norm, BERT's post-residual norm.
    var attentionNorm: String { path + (preNorm ? ".attention.LayerNorm" : ".attention.output.LayerNorm") }
    var intermediate: String { path + ".intermediate.dense" }
    var output: String { path + ".output.dense" }
    /// The LayerNorm of the MLP half: ESM's input norm, BERT's post-residual norm.
    var mlpNorm: String { path + (preNorm ? ".LayerNorm" : ".output.LayerNorm") }
}


/// The tensor names of an xTrimoPGLM (GLM) checkpoint, spelled once for inference, training, random
/// weights and the checkpoint anchors. Module paths: append ".weight" or ".bias".
struct PGLMNames {
    static let wordEmbeddings = "transformer.embedding.word_embeddings"
    static let finalNorm = "transformer.encoder.final_layernorm"
    static let outputLayer = "transformer.output_layer"

    /// `transformer.encoder.layers.<l>`.
    let path: String

    init(layer: Int) { path = "transformer.encoder.layers.\(layer)" }

    var inputNorm: String { path + ".input_layernorm" }
    var attention: String { path + ".self_attention" }
    var queryKeyValue: String { attention + ".query_key_value" }
    var attentionDense: String { attention + ".dense" }
    var postAttentionNorm: String { path + ".post_attention_layernorm" }
    var mlp: String { path + ".mlp" }
    var router: String { mlp + ".router" }
    /// The MLP's up and down projections; `expert` picks one of a mixture of experts ("_<e>" suffix).
    func up(expert: Int? = nil) -> String { mlp + ".dense_h_to_4h" + (expert.map { "_\($0)" } ?? "") }
    func down(expert: Int? = nil) -> String { mlp + ".dense_4h_to_h" + (expert.map { "_\($0)" } ?? "") }
}

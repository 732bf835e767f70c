import Foundation
import Formats
import Tensors

/// Gives a BERT / RoBERTa checkpoint without a masked-LM head (a bare `BertModel` such as
/// all-MiniLM-L6-v2) the head prompting needs, initialised so that it adds as little as possible:
/// identity dense transform with zero bias, unit LayerNorm, decoder tied to the word embeddings, zero
/// output bias. The head's activation (GELU) and LayerNorm still apply, so scores from such a head
/// are a starting point for fine-tuning, not a pretrained masked LM's.
public enum MaskedLMHeadCompletion {
    /// What `prepare` did.
    public struct Outcome: Sendable {
        /// The directory to load: `directory` itself when it already had a head.
        public let directory: URL
        /// A warning to show the user when a head was initialised.
        public let warning: String?
    }

    /// Returns `directory` when its checkpoint has a masked-LM head; otherwise writes a copy with an
    /// initialised head (full `BertForMaskedLM` / `RobertaForMaskedLM` tensor names, F32) into
    /// `workDirectory` and returns that. A copy already there for the same source is reused.
    public static func prepare(modelDirectory directory: URL, workDirectory: URL) throws -> Outcome {
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        let configURL = directory.appendingPathComponent("config.json")
        guard var config = try JSONReader.read(path: configURL.path).foundation as? [String: Any] else {
            throw PromptAlignError.io(file: configURL.path, message: "expected a JSON object")
        }
        let roberta = (config["model_type"] as? String)?.lowercased() == "roberta"
        let root = roberta ? "roberta." : "bert."
        let dense = roberta ? "lm_head.dense.weight" : "cls.predictions.transform.dense.weight"
        if checkpoint.contains(dense) { return Outcome(directory: directory, warning: nil) }

        let bare = !checkpoint.contains(root + "embeddings.word_embeddings.weight")
        let wordsName = (bare ? "" : root) + "embeddings.word_embeddings.weight"
        guard checkpoint.contains(wordsName) else {
            throw PromptAlignError.io(file: directory.path, message: "expected a BERT/RoBERTa checkpoint with '\(wordsName)'")
        }
        let shape = try checkpoint.shape(wordsName)                                   // [V, H]
        let (v, h) = (shape[0], shape[1])
        let target = workDirectory.appendingPathComponent("\(directory.lastPathComponent)-with-mlm-head")
        let warning = """
            warning: \(directory.path) has no masked-LM head; prompting with a head initialised as identity \
            transform + unit LayerNorm + decoder tied to the word embeddings + zero bias (written to \(target.path)). \
            Its zero-shot scores are not a pretrained masked LM's; fine-tune before trusting them.
            """
        let stamp = try sourceStamp(directory)
        let stampURL = target.appendingPathComponent(".source")
        if (try? String(contentsOf: stampURL, encoding: .utf8)) == stamp {
            return Outcome(directory: target, warning: warning)
        }

        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        let floating: Set<SafetensorsDType> = [.f32, .f16, .bf16, .f64]
        for name in checkpoint.names where !name.hasPrefix(root + "pooler.") && !name.hasPrefix("pooler.") {
            // Integer buffers (position_ids) are recomputed by every loader; the pooler is unused.
            guard floating.contains(try checkpoint.dtype(name)) else { continue }
            try writer.add((bare ? root : "") + name, floats: try checkpoint.floats(name), shape: try checkpoint.shape(name))
        }
        var identity = [Float](repeating: 0, count: h * h)                           // [H, H]
        for i in 0..<h { identity[i * h + i] = 1 }
        let zerosH = [Float](repeating: 0, count: h), onesH = [Float](repeating: 1, count: h)
        let head = roberta
            ? [("lm_head.dense.weight", identity, [h, h]), ("lm_head.dense.bias", zerosH, [h]),
               ("lm_head.layer_norm.weight", onesH, [h]), ("lm_head.layer_norm.bias", zerosH, [h]),
               ("lm_head.bias", [Float](repeating: 0, count: v), [v])]
            : [("cls.predictions.transform.dense.weight", identity, [h, h]), ("cls.predictions.transform.dense.bias", zerosH, [h]),
               ("cls.predictions.transform.LayerNorm.weight", onesH, [h]), ("cls.predictions.transform.LayerNorm.bias", zerosH, [h]),
               ("cls.predictions.bias", [Float](repeating: 0, count: v), [v])]
        for (name, values, s) in head { try writer.add(name, floats: values, shape: s) }

        let fm = FileManager.default
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        try writer.write(to: target.appendingPathComponent("model.safetensors"))
        config["architectures"] = [roberta ? "RobertaForMaskedLM" : "BertForMaskedLM"]
        config["tie_word_embeddings"] = true
        try writeAtomically(Data(try JSONWriter.bytes(JSONValue(foundation: config), pretty: true)),
                            to: target.appendingPathComponent("config.json"))
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt"] {
            let from = directory.appendingPathComponent(name), to = target.appendingPathComponent(name)
            guard fm.fileExists(atPath: from.path) else { continue }
            try? fm.removeItem(at: to)
            try fm.copyItem(at: from, to: to)
        }
        try writeAtomically(Data(stamp.utf8), to: stampURL)
        return Outcome(directory: target, warning: warning)
    }

    /// Path, size and modification time of the source weights: enough to notice a changed checkpoint.
    static func sourceStamp(_ directory: URL) throws -> String {
        let fm = FileManager.default
        var parts: [String] = []
        for name in ["config.json", "model.safetensors", "model.safetensors.index.json"] {
            let p = directory.appendingPathComponent(name).path
            guard let a = try? fm.attributesOfItem(atPath: p) else { continue }
            let size = (a[.size] as? NSNumber)?.intValue ?? 0
            let time = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("\(p) \(size) \(time)")
        }
        return parts.joined(separator: "\n")
    }
}

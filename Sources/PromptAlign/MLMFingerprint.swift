import Foundation
import PipelineEngine

/// What an MLM adaptation run is made of — base model files, kept documents, settings — as one SHA-256.
/// A checkpoint records it, so a run resumes only a checkpoint of the very same configuration (a demo on the
/// sample split and a run on the full dataset share the pipeline's checkpoint path).
enum MLMFingerprint {
    /// The fingerprint of a run of `options` from the model in `model` on `documents` (after exclusion).
    static func of(model: URL, documents: [String], options o: MLMAdaptOptions, heldOutFraction: Double) throws -> String {
        var h = SHA256()
        for name in try FileManager.default.contentsOfDirectory(atPath: model.path).sorted() {
            let path = model.appendingPathComponent(name).path
            guard let info = FileDigester.fileInfo(path), !info.isDirectory else { continue }
            h.update("\(name) \(try FileDigester.hashFile(path))\n")
        }
        h.update("documents \(documents.count)\n")
        for d in documents { h.update(SHA256.hex(d) + "\n") }
        h.update("mode \(o.mode.rawValue) top \(o.topLayers) steps \(o.steps) batch \(o.batchSize) length \(o.maxLength) "
                 + "lr \(o.learningRate.map { "\($0)" } ?? "default") warmup \(o.warmup.map(String.init) ?? "default") "
                 + "decay \(o.weightDecay) clip \(o.clip) dropout \(o.dropout) whole-word \(o.wholeWord) "
                 + "mask \(o.maskProbability) eval \(o.evalEvery)/\(o.evalBlocks) seed \(o.seed) held-out \(heldOutFraction)")
        return h.finalizeHex()
    }
}

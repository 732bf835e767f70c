import Foundation

/// What an MLM adaptation run is made of — base model files, kept documents, settings — as one FNV-1a-64
/// hex string. A checkpoint records it, so a run resumes only a checkpoint of the very same configuration
/// (a demo on the sample split and a run on the full dataset share the pipeline's checkpoint path).
struct MLMFingerprint {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = state
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        state = h
    }

    mutating func add(_ text: String) {
        var t = text + "\u{1F}"   // a separator, so ["ab", "c"] and ["a", "bc"] differ
        t.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    /// Every regular file of `directory` (sorted by name): its name and its bytes, read in 4 MB pieces.
    mutating func add(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        for name in names {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            add(name)
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            while let piece = try handle.read(upToCount: 4 << 20), !piece.isEmpty {
                piece.withUnsafeBytes { add($0) }
            }
        }
    }

    var hex: String { String(format: "%016llx", state) }

    /// The fingerprint of a run of `options` from the model in `model` on `documents` (after exclusion).
    static func of(model: URL, documents: [String], options o: MLMAdaptOptions, heldOutFraction: Double) throws -> String {
        var f = MLMFingerprint()
        try f.add(directory: model)
        f.add("documents \(documents.count)")
        for d in documents { f.add(d) }
        f.add("mode \(o.mode.rawValue) top \(o.topLayers) steps \(o.steps) batch \(o.batchSize) length \(o.maxLength) "
              + "lr \(o.learningRate.map { "\($0)" } ?? "default") warmup \(o.warmup.map(String.init) ?? "default") "
              + "decay \(o.weightDecay) clip \(o.clip) dropout \(o.dropout) whole-word \(o.wholeWord) "
              + "mask \(o.maskProbability) eval \(o.evalEvery)/\(o.evalBlocks) seed \(o.seed) held-out \(heldOutFraction)")
        return f.hex
    }
}

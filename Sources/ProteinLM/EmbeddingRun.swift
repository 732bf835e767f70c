import Foundation
import Tensors

/// What an embedding run did.
public struct EmbedSummary: Sendable {
    public var sequences = 0
    public var residues = 0
    /// Sequences longer than the truncation length (embedded on their first residues).
    public var truncated = 0
    /// Labels found already written and skipped (resume).
    public var resumed = 0
    /// Records with no residues (skipped), with their header lines.
    public var empty: [(label: String, line: Int)] = []
}

/// `protein.embed` over a whole FASTA file in bounded memory: records are read in windows, each window is
/// sorted and batched (extract.py style) and its features written to a part file as they are computed;
/// at the end the parts are joined into one `.safetensors` in input order. An interrupted run keeps its
/// finished parts (in `<output>.parts/`), so `resume` continues where it stopped.
public final class EmbeddingRun {
    public let embedder: Embedder
    public let fasta: String
    /// The single output file (nil: per-sequence files only).
    public let output: URL?
    /// Called after each batch with (sequences done, residues done).
    public var progress: ((Int, Int) -> Void)?
    public var log: (String) -> Void = { _ in }
    /// Where finished parts are kept for `resume` (default `<output>.parts/`).
    public var partsDirectory: URL?
    /// Whether an existing complete `output` counts as done on resume (the pipeline stage writes a fresh
    /// temporary output, so only its parts carry over).
    public var resumeFromOutput = true

    public init(embedder: Embedder, fasta: String, output: URL?) {
        self.embedder = embedder
        self.fasta = fasta
        self.output = output
    }

    var options: EmbedOptions { embedder.options }

    /// The settings recorded in every file, checked on resume.
    public var settings: [String: String] {
        ["model": embedder.model.location, "layers": EmbeddingIndex.json(embedder.layers),
         "include": EmbeddingIndex.json(options.include.map(\.rawValue)), "truncation": String(options.truncation)]
    }

    var suffixes: [String] {
        var s: [String] = []
        for l in embedder.layers {
            for f in options.include where f != .contacts { s.append("\(f.key)/\(l)") }
        }
        if options.include.contains(.contacts) { s.append(EmbedFeature.contacts.key) }
        return s
    }

    /// File name of a label's per-sequence output: the label percent-encoded as in tensor names
    /// (`%` → `%25`, `/` → `%2F`), so distinct labels never share a file.
    public static func fileName(label: String) -> String { EmbeddingIndex.key(label) + ".safetensors" }

    public func run() throws -> EmbedSummary {
        do {
            return try runStreaming()
        } catch {
            // A run that fails before its first part (bad input, bad model) leaves no empty `.parts/` behind;
            // finished parts stay for `resume`.
            if let output { _ = rmdir(partsDirectory(for: output).path) }
            throw error
        }
    }

    private func partsDirectory(for output: URL) -> URL {
        partsDirectory ?? output.deletingLastPathComponent().appendingPathComponent(output.lastPathComponent + ".parts")
    }

    private func runStreaming() throws -> EmbedSummary {
        var summary = EmbedSummary()
        let fm = FileManager.default
        var done = Set<String>()
        var parts: [URL] = []
        var partsDir: URL? = nil
        var previous: URL? = nil
        if let output {
            let dir = partsDirectory(for: output)
            partsDir = dir
            if !options.resume { try? fm.removeItem(at: dir) }
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            if options.resume {
                let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
                for n in names.sorted() where n.hasPrefix("part-") && n.hasSuffix(".safetensors") {
                    parts.append(dir.appendingPathComponent(n))
                }
                if resumeFromOutput && fm.fileExists(atPath: output.path) { previous = output }
                for url in parts + (previous.map { [$0] } ?? []) {
                    let index = try EmbeddingIndex(file: try SafetensorsFile(url: url))
                    if index.settings != settings || index.suffixes != suffixes {
                        throw ProteinLMError.badOutput(file: url.path, detail: "cannot resume: written with other settings "
                            + "(\(index.settings)); run without resume to start over")
                    }
                    done.formUnion(index.labels)
                }
            }
        }
        if let dir = options.perSequenceDirectory { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
        func alreadyDone(_ p: Protein) -> Bool {
            guard options.resume else { return false }
            if output != nil && !done.contains(p.label) { return false }
            if let dir = options.perSequenceDirectory,
               !fm.fileExists(atPath: dir.appendingPathComponent(Self.fileName(label: p.label)).path) { return false }
            return true
        }

        let reader = try ProteinReader(path: fasta, policy: options.policy)
        var partNumber = parts.count
        while true {
            let window = try Profiler.time(.io) {
                try reader.window(maxRecords: options.windowRecords, maxResidues: options.windowResidues)
            }
            if window.isEmpty { break }
            let todo = window.filter { !alreadyDone($0) }
            summary.resumed += window.count - todo.count
            if todo.isEmpty { continue }
            var writer: StreamingSafetensorsWriter? = nil
            var index = EmbeddingIndex()
            index.settings = settings
            index.suffixes = suffixes
            if let dir = partsDir {
                partNumber += 1
                writer = try StreamingSafetensorsWriter(url: dir.appendingPathComponent(String(format: "part-%06d.safetensors", partNumber)))
            }
            do {
                for batch in embedder.batches(todo) {
                    let features = try embedder.features(batch.map { todo[$0] })
                    for f in features {
                        try Profiler.time(.io) {
                            if let writer {
                                for t in f.tensors { try writer.add(EmbeddingIndex.tensorName(label: f.protein.label, suffix: t.name), floats: t.values, shape: t.shape) }
                                index.append(f)
                            }
                            if let dir = options.perSequenceDirectory {
                                try writeSingle(f, to: dir.appendingPathComponent(Self.fileName(label: f.protein.label)))
                            }
                        }
                        summary.sequences += 1
                        summary.residues += f.length
                        if f.length < f.protein.residues.count { summary.truncated += 1 }
                    }
                    progress?(summary.sequences + summary.resumed, summary.residues)
                }
                if let writer {
                    writer.metadata = index.metadata
                    try Profiler.time(.io) { try writer.finish() }
                    parts.append(writer.url)
                }
            } catch {
                writer?.cancel()
                throw error
            }
        }
        summary.empty = reader.empty
        for e in reader.empty { log("warning: \(fasta):\(e.line): record '\(e.label)' has no residues; skipped") }
        if let output, let dir = partsDir {
            let inputs = (previous.map { [($0, 0)] } ?? []) + parts.map { ($0, 0) }
            if inputs.isEmpty {
                var index = EmbeddingIndex()
                index.settings = settings
                index.suffixes = suffixes
                let w = try StreamingSafetensorsWriter(url: output, metadata: index.metadata)
                try w.finish()
            } else {
                _ = try Profiler.time(.io) { try EmbeddingAssembler.assemble(inputs, to: output, settings: settings) }
            }
            try? fm.removeItem(at: dir)
            if partsDirectory != nil { _ = rmdir(dir.deletingLastPathComponent().path) }   // the stage's `<output>.parts/`, once empty
        }
        return summary
    }

    /// One sequence's file: extract.py's keys without the label prefix, the label in the metadata.
    func writeSingle(_ f: SequenceFeatures, to url: URL) throws {
        let w = try StreamingSafetensorsWriter(url: url, metadata: ["label": f.protein.label, "length": String(f.length),
                                                                   "format": "trellis.protein.embed.sequence/1"])
        do {
            for t in f.tensors { try w.add(t.name, floats: t.values, shape: t.shape) }
            try w.finish()
        } catch { w.cancel(); throw error }
    }
}

import DataIO
import Foundation

/// How a record file is cut into shards.
public enum RecordFormat: Sendable {
    /// FASTA records (`>` header + sequence lines); shards are written with `FASTAWriter`.
    case fasta
    /// One record per line.
    case lines
    /// CSV/TSV with one header line repeated at the top of every shard.
    case headedLines
}

/// How the shard files of one output become the output of the whole stage.
public enum GatherKind: Sendable {
    /// Byte concatenation in shard order (FASTA, JSONL, headerless tables).
    case concatenate
    /// Concatenation keeping the first shard's header line and dropping the others' (CSV/TSV).
    case headedLines
}

/// A stage that maps over the records of one input file, so its work can be split into shards that run
/// as separate cached units (locally or as a Slurm array) and be gathered back, in input order, into
/// exactly the bytes the unsharded stage would have written.
///
/// Conform with `recordParameter` (the rest has defaults): the split and gather defaults cover FASTA, line
/// and CSV files. Stages writing other formats (e.g. `.safetensors`) override `gather(output:shards:to:_:)`.
/// In a shard, `run` sees the record parameter pointing at its part, `context.upstream` empty (parameters
/// referencing upstream stages arrive resolved), and it must write one file per output (no file lists).
public protocol RecordMappingStage: StageType {
    /// The parameter naming the record file that shards split, or nil when these parameters cannot be sharded.
    func recordParameter(_ parameters: TypedParameters) -> String?
    /// The format of that record file.
    func recordFormat(_ parameters: TypedParameters) -> RecordFormat
    /// How each file output gathers.
    func gatherKind(output: String, _ parameters: TypedParameters) -> GatherKind

    /// Writes shard `0..<parts` of `input` to `files` (one per shard, in order). Contiguous runs of
    /// near-equal record counts, so concatenating per-shard outputs keeps input order.
    func split(_ input: URL, into files: [URL], _ parameters: TypedParameters) throws
    /// Merges the shard files of file output `output` (in shard order) into `destination`.
    func gather(output: String, shards: [URL], to destination: URL, _ parameters: TypedParameters) throws
    /// Merges a text output (e.g. a count); the default sums integers and otherwise requires equal texts.
    func gatherText(output: String, shards: [String], _ parameters: TypedParameters) throws -> String
}

extension RecordMappingStage {
    public func recordFormat(_ parameters: TypedParameters) -> RecordFormat { .fasta }
    public func gatherKind(output: String, _ parameters: TypedParameters) -> GatherKind { .concatenate }

    public func split(_ input: URL, into files: [URL], _ parameters: TypedParameters) throws {
        try RecordSplitter.split(input, into: files, format: recordFormat(parameters))
    }

    public func gather(output: String, shards: [URL], to destination: URL, _ parameters: TypedParameters) throws {
        try RecordSplitter.concatenate(shards, to: destination, skipHeader: gatherKind(output: output, parameters) == .headedLines)
    }

    public func gatherText(output: String, shards: [String], _ parameters: TypedParameters) throws -> String {
        let numbers = shards.compactMap { Int($0) }
        if numbers.count == shards.count { return String(numbers.reduce(0, +)) }
        if Set(shards).count <= 1 { return shards.first ?? "" }
        throw StageError("output '\(output)': shards produced different texts and the stage does not say how to merge them")
    }
}

/// Deterministic record splitting and ordered concatenation (the defaults of `RecordMappingStage`).
public enum RecordSplitter {
    /// Record `i` of `total` goes to shard `i * parts / total`: contiguous, sizes differ by at most one.
    public static func shard(ofRecord i: Int, total: Int, parts: Int) -> Int {
        total > 0 ? min(parts - 1, (i * parts) / total) : 0
    }

    /// Number of records in `input`, read in constant memory (a shard count above it would only make
    /// empty shards: a million shards of 40 records).
    public static func count(_ input: URL, format: RecordFormat) throws -> Int {
        switch format {
        case .fasta:
            let reader = try FASTAReader(path: input.path)
            reader.retainsSequences = false
            var n = 0
            try reader.forEach { _ in n += 1 }
            return n
        case .lines, .headedLines:
            let lines = try LineReader(path: input.path)
            var n = 0
            while try lines.withNextLine({ _ in true }) != nil { if !lines.isContinuation { n += 1 } }
            return format == .headedLines ? max(0, n - 1) : n
        }
    }

    public static func split(_ input: URL, into files: [URL], format: RecordFormat) throws {
        let parts = files.count
        precondition(parts >= 1)
        switch format {
        case .fasta:
            var total = 0
            try FASTAReader(path: input.path).forEach { _ in total += 1 }
            let writers = try files.map { try FASTAWriter(path: $0.path) }
            do {
                var i = 0
                try FASTAReader(path: input.path).forEach { r in
                    try writers[shard(ofRecord: i, total: total, parts: parts)].write(r)
                    i += 1
                }
                for w in writers { try w.finish() }
            } catch {
                for w in writers { w.cancel() }
                throw error
            }
        case .lines, .headedLines:
            try splitLines(input, into: files, header: format == .headedLines)
        }
    }

    /// Line records, byte for byte (line endings kept); with `header`, the first line starts every shard.
    static func splitLines(_ input: URL, into files: [URL], header: Bool) throws {
        let data = try Data(contentsOf: input, options: .alwaysMapped)
        var lines: [Range<Int>] = []
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var start = 0
            for (i, b) in buf.enumerated() where b == 0x0A { lines.append(start..<(i + 1)); start = i + 1 }
            if start < buf.count { lines.append(start..<buf.count) }
        }
        var head = Data()
        if header, let first = lines.first { head = data.subdata(in: first); lines.removeFirst() }
        var outputs = Array(repeating: head, count: files.count)
        for (i, r) in lines.enumerated() { outputs[shard(ofRecord: i, total: lines.count, parts: files.count)].append(data.subdata(in: r)) }
        for (url, d) in zip(files, outputs) { try WorkDirectory.writeAtomically(d, to: url) }
    }

    /// Concatenates `files` into `destination`; with `skipHeader`, files after the first lose their first line.
    public static func concatenate(_ files: [URL], to destination: URL, skipHeader: Bool) throws {
        _ = FileManager.default.createFile(atPath: destination.path, contents: nil)
        let out = try FileHandle(forWritingTo: destination)
        defer { try? out.close() }
        for (n, url) in files.enumerated() {
            var data = try Data(contentsOf: url, options: .alwaysMapped)
            if skipHeader && n > 0, let nl = data.firstIndex(of: 0x0A) { data = data.subdata(in: (nl + 1)..<data.endIndex) }
            else if skipHeader && n > 0 { data = Data() }
            try DescriptorWrite.writeOrThrow(out.fileDescriptor, data, path: destination.path)
        }
    }
}

import Foundation

/// One task: a shard of a sharded stage, or a whole stage (`count` 1) sent to an executor that does not run
/// in this process. Complete enough to run without the spec: one line of a shard manifest
/// (`trellis exec-shard MANIFEST INDEX` reads line INDEX and runs it).
public struct ShardTask: Codable, Sendable {
    public var stage: String
    /// Stage type name and implementation version; `exec-shard` refuses a binary whose version differs.
    public var type: String
    public var version: Int
    /// 0-based shard index and shard count.
    public var index: Int
    public var count: Int
    /// The shard's cache key (the stage key's components plus `shard: index/count`).
    public var key: String
    /// Typed parameters with the record parameter pointing at this shard's input.
    public var parameters: [String: ManifestValue]
    public var projectDirectory: String
    /// This shard's record file; empty for a whole-stage task.
    public var input: String
    /// `<work>/shards/<key>`: outputs go to `out/` and `pub/`, the completion marker is `done.json`.
    public var directory: String
    /// 1-based attempt this line was written for (markers of failures are named after it).
    public var attempt: Int
    /// Outputs of the stages the stage depends on, in dependency order (what `StageContext.upstream` shows).
    public var upstream: [UpstreamOutputs] = []

    /// One upstream stage's outputs.
    public struct UpstreamOutputs: Codable, Sendable {
        public var stage: String
        public var outputs: [String: OutputValue]
    }

    public init(stage: String, type: String, version: Int, index: Int, count: Int, key: String,
                parameters: [String: ManifestValue], projectDirectory: String, input: String, directory: String, attempt: Int) {
        self.stage = stage
        self.type = type
        self.version = version
        self.index = index
        self.count = count
        self.key = key
        self.parameters = parameters
        self.projectDirectory = projectDirectory
        self.input = input
        self.directory = directory
        self.attempt = attempt
    }

    /// `embed[2/4]` for a shard, `embed` for a whole stage.
    public var label: String { input.isEmpty ? stage : "\(stage)[\(index + 1)/\(count)]" }
    /// `shard embed[2/4]` or `stage embed`, for logs.
    public var title: String { (input.isEmpty ? "stage " : "shard ") + label }
    public var doneMarker: URL { URL(fileURLWithPath: directory).appendingPathComponent("done.json") }
    public func failedMarker(attempt: Int) -> URL {
        URL(fileURLWithPath: directory).appendingPathComponent("failed-\(attempt).json")
    }

    /// The typed parameters as the stage sees them.
    public func typedParameters() -> TypedParameters {
        TypedParameters(parameters.mapValues(\.value), projectDirectory: URL(fileURLWithPath: projectDirectory))
    }
}

/// What a finished shard left (its completion marker, `done.json`, written last by atomic rename).
public struct ShardRecord: Codable, Sendable {
    /// How one output of the shard was produced, so the gather writes it the same way.
    public struct Output: Codable, Sendable {
        /// `file` (inside the work directory), `published` (a declared path), `text`, or for whole-stage
        /// tasks only `files` (several files inside the work directory) and `published-files` (several
        /// declared paths under one name, e.g. a model directory's files).
        public var kind: String
        /// For `file`: the file name the stage chose; for `published`: the declared path; for `text`: the text.
        public var value: String
        /// For `files`: the file names; for `published-files`: the declared paths, file `i` kept as `pub/<name>-<i>`.
        public var paths: [String]? = nil
    }
    public var key: String
    public var stage: String
    public var index: Int
    public var count: Int
    public var outputs: [String: Output]
    public var attempt: Int
    public var host: String
    public var started: Double
    public var finished: Double
    public var cpuSeconds: Double
    public var peakRSSKB: Int
}

/// A failed shard's marker (`failed-<attempt>.json`).
public struct ShardFailure: Codable, Sendable {
    public var key: String
    public var attempt: Int
    public var error: String
    public var exitStatus: Int
    public var host: String
}

/// A `ParameterValue` in a manifest, tagged so ints stay ints and floats stay floats.
public struct ManifestValue: Codable, Sendable {
    public var value: ParameterValue
    public init(_ value: ParameterValue) { self.value = value }

    private enum Key: String, CodingKey { case s, i, f, b, l, m }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if let s = try c.decodeIfPresent(String.self, forKey: .s) { value = .string(s) }
        else if let i = try c.decodeIfPresent(Int.self, forKey: .i) { value = .int(i) }
        else if let f = try c.decodeIfPresent(Double.self, forKey: .f) { value = .float(f) }
        else if let b = try c.decodeIfPresent(Bool.self, forKey: .b) { value = .bool(b) }
        else if let l = try c.decodeIfPresent([ManifestValue].self, forKey: .l) { value = .list(l.map(\.value)) }
        else if let m = try c.decodeIfPresent([String: ManifestValue].self, forKey: .m) { value = .map(m.mapValues(\.value)) }
        else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected one of s, i, f, b, l, m")) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch value {
        case .string(let s): try c.encode(s, forKey: .s)
        case .int(let i): try c.encode(i, forKey: .i)
        case .float(let f): try c.encode(f, forKey: .f)
        case .bool(let b): try c.encode(b, forKey: .b)
        case .list(let l): try c.encode(l.map(ManifestValue.init), forKey: .l)
        case .map(let m): try c.encode(m.mapValues(ManifestValue.init), forKey: .m)
        }
    }
}

/// Reading and writing shard manifests (JSONL, one `ShardTask` per line).
public enum ShardManifest {
    public static func write(_ tasks: [ShardTask], to url: URL) throws {
        var data = Data()
        for t in tasks { data.append(try PipelineJSON.encode(t)); data.append(0x0A) }
        try WorkDirectory.makeDirectory(url.deletingLastPathComponent())
        try WorkDirectory.writeAtomically(data, to: url)
    }

    /// Line `index` (0-based) of the manifest at `url`.
    public static func task(at index: Int, in url: URL) throws -> ShardTask {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PipelineError.io(path: url.path, message: "cannot read the shard manifest")
        }
        var line = 0, start = data.startIndex
        for i in data.indices where data[i] == 0x0A {
            if line == index {
                do { return try PipelineJSON.decode(ShardTask.self, from: data.subdata(in: start..<i), path: url.path) } catch {
                    throw PipelineError.io(path: url.path, message: "line \(index + 1): expected a shard task (\(error))")
                }
            }
            line += 1
            start = i + 1
        }
        throw PipelineError.io(path: url.path, message: "line \(index + 1): the manifest has only \(line) shards")
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data { try PipelineJSON.encode(value) }
}

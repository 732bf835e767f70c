import Foundation

/// The body of a sharded stage, run in place of `StageType.run`: split the record input into `count`
/// shards, run the shards that have no completion marker yet (each is its own cached unit, keyed by the
/// stage key's components plus `shard: i/N`), then gather the shard outputs in input order into the
/// stage's temporary outputs, which `StageJob` commits as usual.
struct ShardedStage {
    let stage: PipelineStage
    let type: RecordMappingStage
    let parameters: TypedParameters
    let components: [String: String]
    let key: String
    let count: Int
    let work: WorkDirectory
    let executor: ShardExecutor
    let resources: ShardResources
    let note: @Sendable (String) -> Void

    /// `<work>/shards/<stage key>-of<N>/`: split inputs and manifests of this stage at this shard count.
    var batchDirectory: URL { work.root.appendingPathComponent("shards").appendingPathComponent("\(key)-of\(count)") }

    /// Bump when `RecordSplitter` would put records into different shards.
    static let splitVersion = "contiguous-1"

    func shardKey(_ i: Int) -> String {
        var c = components
        c["shard"] = "\(i)/\(count) \(Self.splitVersion)"
        return CacheKey.make(c)
    }

    func run(_ context: StageContext) throws {
        guard let recordParameter = type.recordParameter(parameters), let input = parameters.url(recordParameter) else {
            throw StageError("stage '\(stage.id)' (\(stage.type.name)) cannot be sharded with these parameters")
        }
        let inputs = shardInputs(input)
        let tasks: [ShardTask] = (0..<count).map { i in
            var values = parameters.values.mapValues(ManifestValue.init)
            values[recordParameter] = ManifestValue(.string(inputs[i].path))
            let k = shardKey(i)
            return ShardTask(stage: stage.id, type: stage.type.name, version: stage.type.version, index: i, count: count, key: k,
                             parameters: values, projectDirectory: parameters.projectDirectory.path, input: inputs[i].path,
                             directory: work.root.appendingPathComponent("shards").appendingPathComponent(k).path, attempt: 1)
        }
        try writeShardKeys(tasks)
        let missing = tasks.filter { ShardWorker.record($0) == nil }
        context.log("\(count) shards: \(count - missing.count) cached, \(missing.count) to run")
        if !missing.isEmpty {
            try splitIfNeeded(input, into: inputs, recordParameter: recordParameter)
            var batch = ShardBatch(stage: stage.id, tasks: missing, retries: stage.retries, resources: resources,
                                   directory: batchDirectory, logDescriptor: context.logDescriptor, note: note)
            // Records, not shards: counted in the shard inputs, which hold the whole input.
            let sizes = try inputs.map { try RecordSplitter.count($0, format: type.recordFormat(parameters)) }
            let cached = Set(tasks.map(\.index)).subtracting(missing.map(\.index))
            let meter = ShardProgress(sizes: sizes, finished: cached) {
                context.progress(done: $0.done, total: $0.total, unit: $0.unit, loss: $0.loss)
            }
            batch.progress = { index, update in meter.shard(index, update) }
            let results = executor.run(batch)
            for t in missing where results[t.index] == .some(nil) { meter.finished(t.index) }
            func error(_ i: Int) -> String? { if let r = results[i] { return r }; return "did not run" }
            let failed = missing.filter { error($0.index) != nil }
            if !failed.isEmpty {
                let first = failed[0]
                let why = error(first.index) ?? "failed"
                throw StageError("\(failed.count) of \(count) shards failed; shard \(first.index + 1): \(why)")
            }
        }
        try gather(tasks, into: context)
    }

    /// `<batch>/shard-keys`: the shard directories this stage key uses, one key per line (so `trellis clean`
    /// can tell which shard directories a current stage still references).
    func writeShardKeys(_ tasks: [ShardTask]) throws {
        let url = batchDirectory.appendingPathComponent(Self.shardKeysFile)
        if FileManager.default.fileExists(atPath: url.path) { return }
        try WorkDirectory.makeDirectory(batchDirectory)
        try WorkDirectory.writeAtomically(Data(tasks.map { $0.key + "\n" }.joined().utf8), to: url)
    }

    static let shardKeysFile = "shard-keys"

    /// Shard input paths (split lazily: only when some shard must run).
    func shardInputs(_ input: URL) -> [URL] {
        var name = input.lastPathComponent
        for z in [".gz", ".zst"] where name.hasSuffix(z) { name = String(name.dropLast(z.count)) }
        let ext = PathName.pathExtension(name)
        let width = max(3, String(count).count)
        return (1...count).map { k in
            let n = String(repeating: "0", count: max(0, width - String(k).count)) + String(k)
            return batchDirectory.appendingPathComponent("input").appendingPathComponent("part-\(n)" + (ext.isEmpty ? "" : ".\(ext)"))
        }
    }

    /// Writes the shard inputs once per (stage key, N): into a temporary directory renamed into place.
    func splitIfNeeded(_ input: URL, into files: [URL], recordParameter: String) throws {
        let dir = files[0].deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent(".complete").path) { return }
        // A run killed while splitting leaves its temporary directory behind.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: batchDirectory.path)) ?? [] where name.hasPrefix("input.tmp-") {
            WorkDirectory.removeTree(batchDirectory.appendingPathComponent(name).path)
        }
        let temp = batchDirectory.appendingPathComponent("input.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try WorkDirectory.makeDirectory(temp)
        defer { try? FileManager.default.removeItem(at: temp) }
        try type.split(input, into: files.map { temp.appendingPathComponent($0.lastPathComponent) }, parameters)
        _ = FileManager.default.createFile(atPath: temp.appendingPathComponent(".complete").path, contents: nil)
        try? FileManager.default.removeItem(at: dir)
        guard rename(temp.path, dir.path) == 0 else {
            throw PipelineError.io(path: dir.path, message: "cannot move shard inputs into place: \(String(cString: strerror(errno)))")
        }
    }

    /// Merges every output in shard order and registers it on `context` exactly as the unsharded stage would.
    func gather(_ tasks: [ShardTask], into context: StageContext) throws {
        let records = try tasks.map { t -> ShardRecord in
            guard let r = ShardWorker.record(t) else { throw StageError("shard \(t.label) has no completion marker") }
            return r
        }
        for (name, first) in records[0].outputs.sorted(by: { $0.key < $1.key }) {
            for r in records where r.outputs[name]?.kind != first.kind || (first.kind != "text" && r.outputs[name]?.value != first.value) {
                throw StageError("output '\(name)': shard \(r.index + 1) wrote it differently from shard 1")
            }
            let dirs = tasks.map { URL(fileURLWithPath: $0.directory) }
            switch first.kind {
            case "text":
                context.output(name, text: try type.gatherText(output: name, shards: records.map { $0.outputs[name]!.value }, parameters))
            case "file":
                let destination = context.output(name, file: first.value)
                try type.gather(output: name, shards: dirs.map { $0.appendingPathComponent("out").appendingPathComponent(first.value) },
                                to: destination, parameters)
            default:
                let destination = context.publish(name, to: first.value)
                try type.gather(output: name, shards: dirs.map { $0.appendingPathComponent("pub").appendingPathComponent(name) },
                                to: destination, parameters)
            }
        }
        context.log("gathered \(count) shards")
    }
}

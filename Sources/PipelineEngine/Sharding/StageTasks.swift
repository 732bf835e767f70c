import Foundation

/// A stage's work as tasks on an executor, run by the stage job in place of `StageType.run`: one task per
/// shard of a record-mapping stage (split first, gathered in input order after), or one task for the whole
/// stage when the executor does not run in this process. Each task is its own cached unit, keyed by the
/// stage key's components plus `shard`, so a rerun repeats only failed tasks. The outputs end up on the
/// stage's context, which `StageJob` commits as usual.
struct StageTasks {
    let job: StageJob
    /// Shard count; nil for one task running the whole stage.
    let shards: Int?
    let executor: StageExecutor
    let resources: ShardResources

    var stage: PipelineStage { job.stage }
    var parameters: TypedParameters { job.parameters }
    var count: Int { shards ?? 1 }

    /// `<work>/shards/<stage key>-of<N>/`: split inputs and manifests of this stage at this shard count.
    var batchDirectory: URL { job.work.root.appendingPathComponent("shards").appendingPathComponent("\(job.key)-of\(count)") }

    /// Bump when `RecordSplitter` would put records into different shards.
    static let splitVersion = "contiguous-1"

    func taskKey(_ i: Int) -> String {
        var c = job.components
        c["shard"] = shards == nil ? "whole" : "\(i)/\(count) \(Self.splitVersion)"
        return CacheKey.make(c)
    }

    func run(_ context: StageContext) throws {
        var split: (type: RecordMappingStage, parameter: String, input: URL, parts: [URL])?
        if shards != nil {
            guard let type = stage.type as? RecordMappingStage, let parameter = type.recordParameter(parameters),
                  let input = parameters.url(parameter) else {
                throw StageError("stage '\(stage.id)' (\(stage.type.name)) cannot be sharded with these parameters")
            }
            split = (type, parameter, input, shardInputs(input))
        }
        let work = job.work
        let tasks: [ShardTask] = (0..<count).map { i in
            var values = parameters.values.mapValues(ManifestValue.init)
            if let split { values[split.parameter] = ManifestValue(.string(split.parts[i].path)) }
            let k = taskKey(i)
            var task = ShardTask(stage: stage.id, type: stage.type.name, version: stage.type.version, index: i, count: count, key: k,
                                 parameters: values, projectDirectory: parameters.projectDirectory.path,
                                 input: split?.parts[i].path ?? "",
                                 directory: work.root.appendingPathComponent("shards").appendingPathComponent(k).path, attempt: 1)
            task.upstream = job.upstream.map { ShardTask.UpstreamOutputs(stage: $0.stage, outputs: $0.outputs) }
            return task
        }
        try writeTaskKeys(tasks)
        let missing = tasks.filter { ShardWorker.record($0) == nil }
        let noun = shards == nil ? "task" : "shards"
        context.log("\(count) \(noun): \(count - missing.count) cached, \(missing.count) to run")
        if !missing.isEmpty {
            var batch = TaskBatch(stage: stage.id, tasks: missing, retry: RetryPolicy(retries: stage.retries), resources: resources,
                                  directory: batchDirectory, logDescriptor: context.logDescriptor, note: job.note)
            var meter: ShardProgress?
            if let split {
                try splitIfNeeded(split.input, into: split.parts, type: split.type)
                // Records, not shards: counted in the shard inputs, which hold the whole input.
                let sizes = try split.parts.map { try RecordSplitter.count($0, format: split.type.recordFormat(parameters)) }
                let cached = Set(tasks.map(\.index)).subtracting(missing.map(\.index))
                let m = ShardProgress(sizes: sizes, finished: cached) {
                    context.progress(done: $0.done, total: $0.total, unit: $0.unit, loss: $0.loss)
                }
                meter = m
                batch.progress = { index, update in m.shard(index, update) }
            } else {
                batch.progress = { _, update in context.progress(done: update.done, total: update.total, unit: update.unit, loss: update.loss) }
            }
            let results = executor.run(batch)
            if let meter { for t in missing where results[t.index] == .some(nil) { meter.finished(t.index) } }
            func error(_ i: Int) -> String? { if let r = results[i] { return r }; return "did not run" }
            let failed = missing.filter { error($0.index) != nil }
            if let first = failed.first {
                let why = error(first.index) ?? "failed"
                if shards == nil { throw StageError(why) }
                throw StageError("\(failed.count) of \(count) shards failed; shard \(first.index + 1): \(why)")
            }
            // Tasks that ran in other processes (Slurm jobs) count toward the stage as child processes do.
            if !executor.runsInProcess {
                for r in missing.compactMap(ShardWorker.record) { context.addChildUsage(cpuSeconds: r.cpuSeconds, peakRSSKB: r.peakRSSKB) }
            }
        }
        if let split {
            try gather(tasks, type: split.type, into: context)
        } else {
            try adopt(tasks[0], into: context)
        }
    }

    /// `<batch>/shard-keys`: the task directories this stage key uses, one key per line (so `trellis clean`
    /// can tell which task directories a current stage still references).
    func writeTaskKeys(_ tasks: [ShardTask]) throws {
        let data = Data(tasks.map { $0.key + "\n" }.joined().utf8)
        let url = batchDirectory.appendingPathComponent(Self.shardKeysFile)
        if FileManager.default.contents(atPath: url.path) == data { return }
        try WorkDirectory.makeDirectory(batchDirectory)
        try WorkDirectory.writeAtomically(data, to: url)
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
    func splitIfNeeded(_ input: URL, into files: [URL], type: RecordMappingStage) throws {
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
        try Self.rename(temp, to: dir, what: "shard inputs")
    }

    /// Merges every output in shard order and registers it on `context` exactly as the unsharded stage would.
    func gather(_ tasks: [ShardTask], type: RecordMappingStage, into context: StageContext) throws {
        let records = try tasks.map(Self.record)
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
            case "files", "published-files":
                throw StageError("output '\(name)' is several files; sharded stages write one file per output")
            default:
                let destination = context.publish(name, to: first.value)
                try type.gather(output: name, shards: dirs.map { $0.appendingPathComponent("pub").appendingPathComponent(name) },
                                to: destination, parameters)
            }
        }
        context.log("gathered \(count) shards")
    }

    /// Moves a whole-stage task's outputs onto `context`, as if the stage had written them there. The
    /// completion marker goes first: a run killed while moving reruns the task instead of trusting a
    /// half-emptied directory.
    func adopt(_ task: ShardTask, into context: StageContext) throws {
        let record = try Self.record(task)
        let dir = URL(fileURLWithPath: task.directory)
        try? FileManager.default.removeItem(at: task.doneMarker)
        for (name, output) in record.outputs.sorted(by: { $0.key < $1.key }) {
            switch output.kind {
            case "text":
                context.output(name, text: output.value)
            case "file":
                try Self.rename(dir.appendingPathComponent("out").appendingPathComponent(output.value),
                                to: context.output(name, file: output.value), what: "output '\(name)'")
            case "files":
                let files = output.paths ?? []
                for (file, url) in zip(files, context.output(name, files: files)) {
                    WorkDirectory.makeDirectories(url.deletingLastPathComponent().path)
                    try Self.rename(dir.appendingPathComponent("out").appendingPathComponent(file), to: url, what: "output '\(name)'")
                }
            case "published-files":
                for (i, path) in (output.paths ?? []).enumerated() {
                    try Self.rename(dir.appendingPathComponent("pub").appendingPathComponent("\(name)-\(i)"),
                                    to: context.publish(name, to: path), what: "output '\(name)'")
                }
            default:
                try Self.rename(dir.appendingPathComponent("pub").appendingPathComponent(name),
                                to: context.publish(name, to: output.value), what: "output '\(name)'")
            }
        }
        WorkDirectory.removeTree(dir.path)
    }

    static func record(_ task: ShardTask) throws -> ShardRecord {
        guard let r = ShardWorker.record(task) else { throw StageError("task \(task.label) has no completion marker") }
        return r
    }

    static func rename(_ from: URL, to: URL, what: String) throws {
        guard Foundation.rename(from.path, to.path) == 0 else {
            throw PipelineError.io(path: to.path, message: "cannot move \(what) into place: \(String(cString: strerror(errno)))")
        }
    }
}

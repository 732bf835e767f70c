import Foundation

/// Runs one task (a shard, or a whole stage) where it is called (a local thread, or the `trellis exec-shard`
/// process of a Slurm array task): the stage runs in a private temporary directory, its outputs move to the
/// task directory, and the completion marker `done.json` is renamed into place last. A failure leaves
/// `failed-<n>.json`.
public enum ShardWorker {
    /// Runs `task` with `type`; logs go to `logDescriptor`, the stage's progress reports to `progress`.
    /// Returns the shard's record, or throws after writing the failure marker.
    @discardableResult
    public static func run(_ task: ShardTask, type: StageType, logDescriptor: Int32,
                           progress: @escaping @Sendable (ProgressUpdate) -> Void = { _ in }) throws -> ShardRecord {
        let fm = FileManager.default
        let shardDir = URL(fileURLWithPath: task.directory)
        if let done = record(task) { return done }
        let start = ResourceUsage.now()
        let cpuStart = ResourceUsage.threadCPU()
        let host = ProcessInfo.processInfo.hostName
        // A task killed mid-run (kill -9, scancel, node failure) leaves its temporary directory behind.
        for name in (try? fm.contentsOfDirectory(atPath: shardDir.path)) ?? [] where name.hasPrefix("tmp-") {
            WorkDirectory.removeTree(shardDir.appendingPathComponent(name).path)
        }
        let temp = shardDir.appendingPathComponent("tmp-\(task.attempt)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? fm.removeItem(at: temp) }
        do {
            guard type.version == task.version else {
                throw StageError("\(task.type) is version \(type.version) in this trellis, the manifest was written for version \(task.version)")
            }
            try WorkDirectory.makeDirectory(temp)
            let context = try StageContext(stageID: task.label, parameters: task.typedParameters(), directory: temp,
                                           upstream: task.upstream.map { ($0.stage, $0.outputs) }, logDescriptor: logDescriptor, progress: progress)
            context.log("\(task.title) attempt \(task.attempt) on \(host)" + (task.input.isEmpty ? "" : ": input \(task.input)"))
            try type.run(context)
            // Collect outputs under the shard directory: internal files in out/, published ones in pub/<name>.
            var outputs: [String: ShardRecord.Output] = [:]
            for (name, files) in context.internalOutputs {
                outputs[name] = context.listOutputs.contains(name)
                    ? .init(kind: "files", value: "", paths: files) : .init(kind: "file", value: files[0])
            }
            for (name, text) in context.textOutputs { outputs[name] = .init(kind: "text", value: text) }
            let staged = temp.appendingPathComponent("result")
            try WorkDirectory.makeDirectory(staged)
            if !context.internalOutputs.isEmpty {
                guard rename(context.outputURL.path, staged.appendingPathComponent("out").path) == 0 else {
                    throw StageError("cannot move the shard's outputs: \(String(cString: strerror(errno)))")
                }
            }
            if !context.published.isEmpty {
                let pub = staged.appendingPathComponent("pub")
                try WorkDirectory.makeDirectory(pub)
                let names = Dictionary(grouping: context.published, by: \.name)
                for (name, files) in names.sorted(by: { $0.key < $1.key }) {
                    for (i, p) in files.enumerated() {
                        guard rename(p.temp.path, pub.appendingPathComponent(files.count == 1 ? name : "\(name)-\(i)").path) == 0 else {
                            throw StageError("output '\(name)': the stage did not write \(p.path)")
                        }
                    }
                    outputs[name] = files.count == 1 ? .init(kind: "published", value: files[0].path)
                        : .init(kind: "published-files", value: "", paths: files.map(\.path))
                }
            }
            for sub in ["out", "pub"] {
                let final = shardDir.appendingPathComponent(sub)
                try? fm.removeItem(at: final)
                if fm.fileExists(atPath: staged.appendingPathComponent(sub).path) {
                    guard rename(staged.appendingPathComponent(sub).path, final.path) == 0 else {
                        throw StageError("cannot move the shard's outputs into place: \(String(cString: strerror(errno)))")
                    }
                }
            }
            let record = ShardRecord(key: task.key, stage: task.stage, index: task.index, count: task.count, outputs: outputs,
                                     attempt: task.attempt, host: host, started: start, finished: ResourceUsage.now(),
                                     cpuSeconds: ResourceUsage.threadCPU() - cpuStart + context.childCPU,
                                     peakRSSKB: max(context.childRSSKB, ResourceUsage.processPeakRSSKB()))
            try WorkDirectory.writeAtomically(try ShardManifest.encode(record), to: task.doneMarker)
            context.log("\(task.title) done")
            return record
        } catch {
            let message = (error as? StageError)?.message ?? FoundationErrorText.describe(error)
            let status = (error as? StageError)?.exitStatus ?? 1
            let line = "error: \(task.title): \(message)\n"
            line.withCString { _ = write(logDescriptor, $0, strlen($0)) }
            let failure = ShardFailure(key: task.key, attempt: task.attempt, error: message, exitStatus: status, host: host)
            if let data = try? ShardManifest.encode(failure) { try? WorkDirectory.writeAtomically(data, to: task.failedMarker(attempt: task.attempt)) }
            throw StageError(message, exitStatus: status)
        }
    }

    /// The shard's completion marker if it exists and belongs to this key.
    public static func record(_ task: ShardTask) -> ShardRecord? {
        guard let data = FileManager.default.contents(atPath: task.doneMarker.path),
              let r = try? PipelineJSON.decode(ShardRecord.self, from: data), r.key == task.key else { return nil }
        return r
    }

    /// The failure marker of `attempt`, if the shard wrote one.
    public static func failure(_ task: ShardTask, attempt: Int) -> ShardFailure? {
        guard let data = FileManager.default.contents(atPath: task.failedMarker(attempt: attempt).path) else { return nil }
        return try? PipelineJSON.decode(ShardFailure.self, from: data)
    }
}

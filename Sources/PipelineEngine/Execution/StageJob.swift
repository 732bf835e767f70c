import Foundation
import Formats

/// One stage's execution with retries, and the commit that makes it done: outputs moved into place,
/// record written last. Runs on an executor's thread.
struct StageJob: @unchecked Sendable {
    let stage: PipelineStage
    let parameters: TypedParameters
    let key: String
    let components: [String: String]
    let stamps: [String: FileStamp]
    let upstream: [(stage: String, outputs: [String: OutputValue])]
    let pipeline: Pipeline
    let work: WorkDirectory
    let logURL: URL
    let keying: StageKeying
    let scratch: ScratchPool
    let progress: @Sendable (ProgressUpdate) -> Void
    let note: @Sendable (String) -> Void
    /// Runs instead of `stage.type.run`: the stage's executor tasks (`StageTasks.run`).
    var body: ((StageContext) throws -> Void)? = nil
    /// How the whole stage runs again after a failure: the stage's `retries`, or `.once` when the executor
    /// runs its tasks and retries them one by one.
    var retry: RetryPolicy

    struct Outcome {
        var record: StageRecord?
        var error: String?
        var exitStatus: Int
        var start: Double
        var end: Double
        var cpu: Double
        var peakRSSKB: Int
        var attempts: Int
        /// Never started because the run was stopping.
        var cancelled = false
        var key: String? = nil

        static func cancelledNow(key: String) -> Outcome {
            let now = ResourceUsage.now()
            return Outcome(record: nil, error: nil, exitStatus: 0, start: now, end: now, cpu: 0, peakRSSKB: 0, attempts: 0,
                           cancelled: true, key: key)
        }
    }

    func execute() -> Outcome {
        let start = ResourceUsage.now()
        let cpuStart = ResourceUsage.threadCPU()
        var childCPU = 0.0, childRSS = 0
        let memory = StageMemory()
        let log = LazyLog(url: logURL)
        defer { log.close() }
        var lastError = "", lastStatus = 1
        // A scratch directory reused from earlier stages: creating and removing directories per stage was
        // most of a trivial shell stage's cost (mkdir and rmdir each take milliseconds on a busy ext4).
        let dir = scratch.take()
        defer { scratch.give(dir) }
        let keep = (stage.type as? ScratchLayout)?.scratchDirectories(parameters) ?? []
        let done = retry.run("stage '\(stage.id)'", note: note, { attempt -> Outcome in
            ScratchPool.reset(dir, keeping: keep)
            let context = try StageContext(stageID: stage.id, parameters: parameters, directory: dir, upstream: upstream,
                                           log: log, progress: progress)
            if attempt > 1 { context.log("--- attempt \(attempt) of \(retry.attempts)") }
            defer { childCPU += context.childCPU; childRSS = max(childRSS, context.childRSSKB) }
            try checkInputs()
            if let body { try body(context) } else { try stage.type.run(context) }
            var record = try commit(context, start: start, attempt: attempt)
            record.cpuSeconds = ResourceUsage.threadCPU() - cpuStart + childCPU + context.childCPU
            record.peakRSSKB = max(childRSS, context.childRSSKB)
            try work.commit(record)
            keying.markCommitted(key)
            let grown = memory.finish()
            let rss = record.peakRSSKB > 0 ? record.peakRSSKB : grown
            return Outcome(record: record, error: nil, exitStatus: 0, start: start, end: ResourceUsage.now(),
                           cpu: record.cpuSeconds, peakRSSKB: rss, attempts: attempt, key: key)
        }, failed: { _, error in
            lastError = (error as? StageError)?.message ?? FoundationErrorText.describe(error)
            lastStatus = (error as? StageError)?.exitStatus ?? 1
            log.write("error: \(lastError)\n")
            return lastError
        })
        if let done { return done }
        let cpu = ResourceUsage.threadCPU() - cpuStart + childCPU
        return Outcome(record: nil, error: lastError, exitStatus: lastStatus, start: start, end: ResourceUsage.now(),
                       cpu: cpu, peakRSSKB: childRSS > 0 ? childRSS : memory.finish(), attempts: retry.attempts, key: key)
    }

    /// Input files that do not exist fail the stage before it starts.
    func checkInputs() throws {
        for p in stage.type.parameters where p.type.digestsInputs || p.type == .model {
            guard let v = parameters[p.name] else { continue }
            let paths: [String]
            switch v {
            case .list(let items): paths = items.map(\.text)
            case .map(let m): paths = m.values.map(\.text)
            default: paths = [v.text]
            }
            for path in paths where FileDigester.fileInfo(parameters.resolve(path).path) == nil {
                throw StageError("input '\(p.name)' not found: \(path)")
            }
        }
    }

    /// Moves outputs into place and builds the record (not yet written).
    func commit(_ context: StageContext, start: Double, attempt: Int) throws -> StageRecord {
        let fm = FileManager.default
        let project = parameters.projectDirectory
        var outputs: [String: OutputValue] = [:]
        var outputFiles: [String: FileStamp] = [:]
        var digests: [String: String] = [:]
        for name in stage.outputs where context.internalOutputs[name] == nil && context.textOutputs[name] == nil
            && !context.published.contains(where: { $0.name == name }) {
            throw StageError("stage type \(stage.type.name) did not produce its output '\(name)'")
        }
        if !context.internalOutputs.isEmpty {
            let final = work.objects.appendingPathComponent(key)
            for (name, files) in context.internalOutputs {
                for f in files where FileDigester.fileInfo(context.outputURL.appendingPathComponent(f).path) == nil {
                    throw StageError("output '\(name)': the stage did not write \(f)")
                }
            }
            // Hash before the move: paths inside the temp dir are private to this attempt.
            var fileDigests: [String: String] = [:]
            for (name, files) in context.internalOutputs {
                var h = SHA256()
                for f in files {
                    let sha = try FileDigester(deep: true).stamp(context.outputURL.appendingPathComponent(f).path).sha256
                    fileDigests[f] = sha
                    h.update(f + "=" + sha + "\n")
                }
                digests[name] = h.finalizeHex()
            }
            try FaultInjection.checkWrite(final.path)
            if fm.fileExists(atPath: final.path) { try? fm.removeItem(at: final) }
            guard rename(context.outputURL.path, final.path) == 0 else {
                throw PipelineError.io(path: final.path, message: "cannot move outputs into place: \(String(cString: strerror(errno)))")
            }
            for (name, files) in context.internalOutputs {
                let shown = files.map { WorkDirectory.display(final.appendingPathComponent($0), relativeTo: project) }
                outputs[name] = context.listOutputs.contains(name) ? .paths(shown) : .path(shown[0])
                // Stamped like published files, so a changed or truncated object is noticed before reuse.
                for (f, path) in zip(files, shown) {
                    let url = final.appendingPathComponent(f)
                    guard let info = FileDigester.fileInfo(url.path), !info.isDirectory, let sha = fileDigests[f] else { continue }
                    outputFiles[path] = FileStamp(size: info.size, mtime: info.mtime, sha256: sha)
                }
            }
        }
        // Several files may be published under one output name (a model directory): the output lists them
        // all and its digest covers every file, so a change in any of them reaches downstream cache keys.
        var publishedFiles: [String: [(path: String, sha: String)]] = [:]
        for p in context.published {
            guard FileDigester.fileInfo(p.temp.path) != nil else {
                throw StageError("output '\(p.name)': the stage did not write \(p.path)")
            }
            let destination = parameters.resolve(p.path)
            try OutputPlacement.checkInsideProject(destination, declared: p.path, output: p.name, project: project)
            let sha = try FileDigester.hashFile(p.temp.path)
            try Publisher.move(p.temp, to: destination)
            guard let info = FileDigester.fileInfo(destination.path) else { throw StageError("output vanished: \(p.path)") }
            outputFiles[p.path] = FileStamp(size: info.size, mtime: info.mtime, sha256: sha)
            publishedFiles[p.name, default: []].append((p.path, sha))
        }
        for (name, files) in publishedFiles {
            if files.count == 1 {
                outputs[name] = .path(files[0].path)
                digests[name] = files[0].sha
            } else {
                outputs[name] = .paths(files.map(\.path))
                var h = SHA256()
                for f in files { h.update(f.path + "=" + f.sha + "\n") }
                digests[name] = h.finalizeHex()
            }
        }
        for (name, text) in context.textOutputs {
            outputs[name] = .text(text)
            digests[name] = SHA256.hex(text)
        }
        var h = SHA256()
        for name in digests.keys.sorted() { h.update(name + "=" + digests[name]! + "\n") }
        return StageRecord(stage: stage.id, pipeline: pipeline.name, spec: pipeline.file, type: stage.type.name,
                           version: stage.type.version, key: key, components: components, inputs: stamps, outputs: outputs,
                           outputFiles: outputFiles, outputDigest: h.finalizeHex(), started: start, finished: ResourceUsage.now(),
                           cpuSeconds: 0, peakRSSKB: 0, attempts: attempt, log: context.logFile.wasOpened ? WorkDirectory.display(logURL, relativeTo: project) : nil)
    }
}

/// Moves a finished file to its declared place atomically (never over a device, FIFO, socket or directory).
enum Publisher {
    static func move(_ temp: URL, to destination: URL) throws {
        do {
            try WorkDirectory.makeDirectory(destination.deletingLastPathComponent())
            try FaultInjection.checkWrite(destination.path)
            try AtomicFile.publish(temp.path, to: destination.path)
        } catch let e as FormatsError {
            guard case .io(_, _, let reason) = e, reason == String(cString: strerror(EXDEV)) else { throw PipelineError.io(path: destination.path, message: e.description) }
            // Another filesystem: copy through an `AtomicFile` beside the destination (its temporary is
            // removed on every error, and `.tmp-PID-` leftovers of a killed run are found by `clean`).
            do {
                let out = try AtomicFile(path: destination.path, durable: false)
                let input = try FileHandle(forReadingFrom: temp)
                defer { try? input.close() }
                while let chunk = try input.read(upToCount: 1 << 22), !chunk.isEmpty { try out.write([UInt8](chunk)) }
                try out.commit()
                try? FileManager.default.removeItem(at: temp)
            } catch {
                throw PipelineError.io(path: destination.path, message: "cannot copy into place: \(error)")
            }
        }
    }
}

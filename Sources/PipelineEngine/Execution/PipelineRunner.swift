import Foundation

/// Options of `trellis run`.
public struct RunOptions: Sendable {
    /// Stages (and shards) running at once in this process; an executor that caps its own queue decides
    /// how many stages it takes (`StageExecutor.stagesInFlight`: Slurm caps tasks, not stages).
    public var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Keep running independent stages after a failure (default: stop starting new ones).
    public var keepGoing = false
    /// Re-read every input file instead of trusting size+mtime.
    public var deep = false
    public var workDirectory: URL
    public var projectDirectory: URL
    public var progress: ProgressStyle = .plain
    /// Where stages and shards run; nil means threads of this process (`jobs` of them).
    public var executor: StageExecutor?
    /// `--shards N`: shard every record-mapping stage N ways (overrides `shards:` in the spec).
    public var shards: Int?
    /// Default per-task resources (from a profile); a stage's `resources:` override them key by key.
    public var resources = ShardResources()
    /// Command line and version, for the run report.
    public var invocation = RunInvocation()

    public init(workDirectory: URL, projectDirectory: URL) {
        self.workDirectory = workDirectory
        self.projectDirectory = projectDirectory
    }
}

/// The outcome of a run.
public struct RunSummary: Sendable {
    public var runDirectory: URL
    public var trace: [TraceEntry]
    /// Failed stages with their error and the path of their full log.
    public var failures: [(stage: String, error: String, log: URL)]
    /// Scalar outputs and published files of the finished stages.
    public var results: RunResults
    public var succeeded: Bool { failures.isEmpty && !trace.contains { $0.status == "cancelled" || $0.status == "skipped" } }
    public func count(_ status: String) -> Int { trace.filter { $0.status == status }.count }
}

/// Runs a pipeline: asks the state machine what is ready, reuses committed records, hands the rest to the
/// executor within the `jobs` budget, and writes the trace and report.
public final class PipelineRunner {
    let pipeline: Pipeline
    let options: RunOptions
    let work: WorkDirectory

    public init(pipeline: Pipeline, options: RunOptions) {
        self.pipeline = pipeline
        self.options = options
        self.work = WorkDirectory(root: options.workDirectory)
    }

    public func run() throws -> RunSummary {
        let runStart = ResourceUsage.now()
        try work.lock()
        defer { work.unlock() }
        try work.prepare()
        try work.clearScratch()
        StaleTemporaries.remove(in: StaleTemporaries.directories(work: work, pipelines: [pipeline], projectDirectory: options.projectDirectory))
        let runDirectory = try makeRunDirectory()
        let logs = runDirectory.appendingPathComponent("logs")
        try WorkDirectory.makeDirectory(logs)
        let traceURL = runDirectory.appendingPathComponent("trace.jsonl")
        _ = FileManager.default.createFile(atPath: traceURL.path, contents: nil)
        let traceHandle = try FileHandle(forWritingTo: traceURL)
        defer { try? traceHandle.close() }

        let keying = StageKeying(work: work, pipeline: pipeline.name, projectDirectory: options.projectDirectory, deep: options.deep)
        let board = ProgressBoard(style: options.progress)
        defer { board.stop() }
        var machine = StageStateMachine(dependencies: pipeline.stages.map(\.dependencies))
        var records: [StageRecord?] = Array(repeating: nil, count: pipeline.stages.count)
        var trace: [TraceEntry?] = Array(repeating: nil, count: pipeline.stages.count)
        var failures: [(stage: String, error: String, log: URL)] = []
        let events = EventQueue<(Int, StageJob.Outcome)>()
        var stopping = false
        let scratch = ScratchPool(root: work.tmp)
        defer { scratch.empty() }
        // Latest key per stage id, flushed at most twice a second and at the end (a kill loses at most
        // that much of the "why" history, never a result: results are found by key).
        var latest = work.latest(pipeline: pipeline.name)?.stages ?? [:]
        var latestDirty = false
        var lastFlush = ResourceUsage.now()
        func flushLatest(force: Bool) {
            guard latestDirty, force || ResourceUsage.now() - lastFlush > 0.5 else { return }
            try? work.writeLatest(pipeline: pipeline.name, spec: pipeline.file, keys: latest)
            latestDirty = false
            lastFlush = ResourceUsage.now()
        }
        func setLatest(_ id: String, _ key: String) {
            if latest[id] != key { latest[id] = key; latestDirty = true }
            flushLatest(force: false)
        }
        defer { flushLatest(force: true) }
        var keysInFlight = Set<String>()
        var parked: [String: [Int]] = [:]
        var unparked: [Int] = []
        let stopFlag = Flag()
        let keepGoing = options.keepGoing
        let stages = pipeline.stages
        let executor = options.executor
            ?? LocalExecutor(threads: options.jobs, registry: { name in stages.first { $0.type.name == name }?.type })
        let pool = StagePool(threads: executor.stagesInFlight(jobs: options.jobs, stages: pipeline.stages.count))
        let inFlight = pool.inFlightLimit

        func write(_ i: Int, _ entry: TraceEntry) {
            trace[i] = entry
            if var data = try? PipelineJSON.encode(entry) { data.append(0x0A); DescriptorWrite.all(traceHandle.fileDescriptor, data) }
        }
        func fail(_ i: Int, _ message: String, log: URL, start: Double, status: Int = 1, attempts: Int = 0,
                  cpu: Double = 0, peakRSSKB: Int = 0) {
            let s = pipeline.stages[i]
            machine.finish(i, as: .failed)
            failures.append((s.id, message, log))
            let now = ResourceUsage.now()
            write(i, TraceEntry(stage: s.id, type: s.type.name, key: nil, cached: false, status: "failed", start: start, end: now,
                                wall: now - start, cpu: cpu, peakRSSKB: peakRSSKB, exitStatus: status, attempts: attempts, error: message,
                                log: WorkDirectory.display(log, relativeTo: options.projectDirectory)))
            board.finished(s.id, line: "[\(s.id)] FAILED: \(message)")
            if !options.keepGoing && !stopping {
                stopping = true
                stopFlag.set()
                machine.cancelPending()
            }
        }

        while true {
            while !stopping, machine.runningCount < inFlight, let i = unparked.popLast() ?? machine.nextReady() {
                let stage = pipeline.stages[i]
                let logURL = logs.appendingPathComponent(stage.id + ".log")
                let start = ResourceUsage.now()
                let prepared: Prepared
                do {
                    prepared = try prepare(stage, records: records, keying: keying)
                } catch {
                    try? "error: \(FoundationErrorText.describe(error))\n".write(to: logURL, atomically: false, encoding: .utf8)
                    fail(i, FoundationErrorText.describe(error), log: logURL, start: start)
                    continue
                }
                if prepared.cached == nil, keysInFlight.contains(prepared.key) {
                    // Same key as a running stage (identical work): wait for it, then reuse its record.
                    parked[prepared.key, default: []].append(i)
                    continue
                }
                if let record = prepared.cached {
                    setLatest(stage.id, prepared.key)
                    records[i] = record
                    machine.finish(i, as: .cached)
                    let now = ResourceUsage.now()
                    write(i, TraceEntry(stage: stage.id, type: stage.type.name, key: prepared.key, cached: true, status: "cached",
                                        start: start, end: now, wall: now - start, cpu: 0, peakRSSKB: 0, exitStatus: 0,
                                        attempts: 0, error: nil, log: record.log))
                    board.note("[\(stage.id)] cached")
                    continue
                }
                machine.start(i)
                keysInFlight.insert(prepared.key)
                var job = StageJob(stage: stage, parameters: prepared.parameters, key: prepared.key, components: prepared.components,
                                   stamps: prepared.stamps, upstream: prepared.upstream, pipeline: pipeline, work: work,
                                   logURL: logURL, keying: keying, scratch: scratch,
                                   progress: { [board] update in board.update(stage.id, update) },
                                   note: { [board] line in board.note(line) }, retry: RetryPolicy(retries: stage.retries))
                if let tasks = stageTasks(job, prepared, executor: executor) {
                    job.body = tasks.run
                    job.retry = .once
                }
                pool.execute { [board, stopFlag, job] in
                    // Fail fast: a job queued behind a failure does not start.
                    if stopFlag.isSet { events.post((i, .cancelledNow(key: job.key))); return }
                    board.started(stage.id)
                    let outcome = job.execute()
                    // Set before posting so a queued job on this same thread sees it.
                    if outcome.record == nil && !keepGoing { stopFlag.set() }
                    events.post((i, outcome))
                }
            }
            if machine.runningCount == 0 { break }
            let (i, outcome) = events.wait()
            if let key = outcome.key {
                keysInFlight.remove(key)
                unparked.append(contentsOf: (parked.removeValue(forKey: key) ?? []).reversed())
            }
            let stage = pipeline.stages[i]
            let logURL = logs.appendingPathComponent(stage.id + ".log")
            if outcome.cancelled {
                machine.finish(i, as: .cancelled)
            } else if let record = outcome.record {
                records[i] = record
                setLatest(stage.id, record.key)
                machine.finish(i, as: .done)
                write(i, TraceEntry(stage: stage.id, type: stage.type.name, key: record.key, cached: false, status: "done",
                                    start: outcome.start, end: outcome.end, wall: outcome.end - outcome.start, cpu: outcome.cpu,
                                    peakRSSKB: outcome.peakRSSKB, exitStatus: 0, attempts: outcome.attempts, error: nil,
                                    log: record.log))
                board.finished(stage.id, line: String(format: "[%@] done in %.2fs", stage.id, outcome.end - outcome.start))
            } else {
                fail(i, outcome.error ?? "failed", log: logURL, start: outcome.start, status: outcome.exitStatus, attempts: outcome.attempts,
                     cpu: outcome.cpu, peakRSSKB: outcome.peakRSSKB)
            }
        }
        // Stages that never ran.
        let now = ResourceUsage.now()
        for (i, s) in pipeline.stages.enumerated() where trace[i] == nil {
            let status: String
            switch machine.states[i] {
            case .skipped: status = "skipped"
            default: status = "cancelled"
            }
            write(i, TraceEntry(stage: s.id, type: s.type.name, key: nil, cached: false, status: status, start: now, end: now,
                                wall: 0, cpu: 0, peakRSSKB: 0, exitStatus: 0, attempts: 0, error: nil, log: nil))
        }
        let entries = trace.compactMap { $0 }
        let figures = ReportFigures(pipeline: pipeline, records: records, projectDirectory: options.projectDirectory)
        let results = RunResults(pipeline: pipeline, records: records, workDirectory: options.workDirectory,
                                 projectDirectory: options.projectDirectory)
        let report = HTMLReport(pipeline: pipeline, trace: entries, failures: failures, figures: figures, results: results,
                                invocation: options.invocation, started: runStart, ended: ResourceUsage.now(),
                                projectDirectory: options.projectDirectory)
        try? report.render().write(to: runDirectory.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        return RunSummary(runDirectory: runDirectory, trace: entries, failures: failures, results: results)
    }

    /// The stage's work as executor tasks: one per shard when it maps over records and a shard count
    /// applies to it, one for the whole stage when the executor does not run in this process; nil to run
    /// it directly in its stage job.
    func stageTasks(_ job: StageJob, _ prepared: Prepared, executor: StageExecutor) -> StageTasks? {
        var shards: Int?
        if let type = job.stage.type as? RecordMappingStage, let recordParameter = type.recordParameter(prepared.parameters),
           let count = options.shards ?? job.stage.shards {
            shards = count
            // No more shards than records (an unreadable input fails later, in the stage, with its message).
            if let input = prepared.parameters.url(recordParameter),
               let records = try? RecordSplitter.count(input, format: type.recordFormat(prepared.parameters)) {
                shards = max(1, min(count, records))
            }
        }
        if shards == nil && executor.runsInProcess { return nil }
        return StageTasks(job: job, shards: shards, executor: executor, resources: job.stage.resources.over(options.resources))
    }

    func makeRunDirectory() throws -> URL {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        let id = "\(f.string(from: Date()))-\(getpid())"
        let dir = work.runs.appendingPathComponent(id)
        try WorkDirectory.makeDirectory(dir)
        let latest = work.runs.appendingPathComponent("latest")
        try? FileManager.default.removeItem(at: latest)
        try? FileManager.default.createSymbolicLink(atPath: latest.path, withDestinationPath: id)
        return dir
    }

    struct Prepared {
        var parameters: TypedParameters
        var key: String
        var components: [String: String]
        var stamps: [String: FileStamp]
        var upstream: [(stage: String, outputs: [String: OutputValue])]
        var cached: StageRecord?
    }

    /// Resolves references against finished upstream stages, types deferred parameters, computes the key
    /// and looks for a reusable record.
    func prepare(_ stage: PipelineStage, records: [StageRecord?], keying: StageKeying) throws -> Prepared {
        var upstream: [(stage: String, outputs: [String: OutputValue])] = []
        var digests: [String: String] = [:]
        for j in stage.dependencies {
            let r = records[j]!
            upstream.append((r.stage, r.outputs))
            digests[r.stage] = r.outputDigest
        }
        var typed = stage.typed
        for name in stage.deferred {
            let resolved = stage.raw[name]!.resolvingStages { ref in
                guard let target = stage.referenceTargets[ref.stage] else { return nil }
                let values = target.stages.compactMap { records[$0]?.outputs[ref.output]?.raw }
                guard target.gathers else { return values.first }
                return .list(values.flatMap { v -> [RawValue] in if case .list(let items) = v { return items }; return [v] })
            }
            let spec = stage.type.parameter(name)!
            switch ParameterTyping.type(resolved, as: spec.type) {
            case .ok(let v): typed[name] = v
            case .bad(let m): throw StageError("\(stage.location): parameter '\(name)' of stage '\(stage.id)' (\(stage.type.name)) \(m)")
            }
        }
        let parameters = TypedParameters(typed, projectDirectory: options.projectDirectory)
        if !stage.deferred.isEmpty {
            if let (p, m) = stage.type.validate(parameters).first {
                throw StageError("\(stage.location): parameter '\(p)' of stage '\(stage.id)' (\(stage.type.name)): \(m)")
            }
        }
        let (components, stamps) = try keying.components(stage, upstream: digests)
        let key = CacheKey.make(components)
        let (record, _) = keying.reusable(key: key)
        return Prepared(parameters: parameters, key: key, components: components, stamps: stamps, upstream: upstream, cached: record)
    }
}

/// A thread-safe one-way switch.
final class Flag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

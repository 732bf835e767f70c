import Foundation

/// Runs stages as Slurm jobs: a whole stage as an array of one task, a sharded stage as one array task per
/// shard.
///
/// Each batch of tasks becomes one `sbatch --array=0-(n-1)%K` submission (several when n exceeds the
/// cluster's `MaxArraySize`) over a JSONL manifest; each array task runs `trellis exec-shard MANIFEST
/// $SLURM_ARRAY_TASK_ID`, so the spec is never re-parsed in a job. All jobs carry the run id as their job name:
/// one monitor thread issues ONE status query per poll interval for the whole run (`squeue --name`, or
/// `sacct --name` when accounting is enabled) and reads the completion markers the shards write. A shard
/// (or whole stage) that fails (failure marker, or gone from the queue without a marker) is resubmitted alone with its memory
/// request scaled by the attempt number, as the batch's `retry` allows.
///
/// `queueSize` caps the tasks of the whole run that are in Slurm at once (queued or running), as Nextflow's
/// `executor.queueSize` and Snakemake's `--jobs` on a cluster do: further tasks wait here, in the order their
/// stages handed them over, and are submitted as earlier ones finish. A resubmitted task keeps its place.
public final class SlurmExecutor: StageExecutor, @unchecked Sendable {
    public struct Options: Sendable {
        /// Job name of every submission of this run.
        public var runID: String
        /// Run files: `logs/%A_%a.log`, `submissions.log`, `status.log`.
        public var directory: URL
        /// Absolute path of the `trellis` executable the array tasks run.
        public var trellis: String
        /// Seconds between status queries.
        public var pollInterval: Double = 10
        /// Array throttle (`%K`): shards of one submission running at once; nil for no limit.
        public var throttle: Int?
        /// Tasks of the run in Slurm at once (queued or running); nil for no limit.
        public var queueSize: Int?
        /// How long a task may be gone from the queue (or finished) without a completion marker before it
        /// counts as failed; covers shared-filesystem latency.
        public var markerTimeout: Double = 60

        public init(runID: String, directory: URL, trellis: String) {
            self.runID = runID
            self.directory = directory
            self.trellis = trellis
        }
    }

    /// One shard being tracked.
    private final class Entry {
        let task: ShardTask
        let batch: Int
        var attempt = 1
        /// Handed to `submit` (its place in the queue is taken), possibly before sbatch returned a job id.
        var admitted = false
        var jobID = ""
        var lostSince: Double?
        var done = false
        var error: String?
        init(task: ShardTask, batch: Int) { self.task = task; self.batch = batch }
    }

    public let options: Options
    private let condition = NSCondition()
    private var entries: [Entry] = []
    private var batches: [Int: TaskBatch] = [:]
    private var nextBatch = 0
    private var submissionCount = 0
    private var monitorStarted = false
    private var cancelled = false
    private var cluster: (maxArraySize: Int, accounting: Bool)?

    public init(options: Options) {
        self.options = options
    }

    /// A fresh run id: `trellis-<UTC time>-<pid>`.
    public static func makeRunID() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return "trellis-\(f.string(from: Date()))-\(getpid())"
    }

    public var runsInProcess: Bool { false }

    /// A stage here only waits on its thread while `queueSize` caps the tasks in Slurm (Nextflow's
    /// executor.queueSize, Snakemake's --jobs), so every stage may be in flight, up to 1024 threads.
    public func stagesInFlight(jobs: Int, stages: Int) -> Int { max(jobs, min(stages, 1024)) }

    public func run(_ batch: TaskBatch) -> [Int: String?] {
        condition.lock()
        let id = nextBatch
        nextBatch += 1
        batches[id] = batch
        let mine = batch.tasks.map { Entry(task: $0, batch: id) }
        entries.append(contentsOf: mine)
        if !monitorStarted {
            monitorStarted = true
            let t = Thread { [self] in monitor() }
            t.start()
        }
        condition.unlock()
        admit()
        condition.lock()
        while !mine.allSatisfy(\.done) { condition.wait() }
        entries.removeAll { $0.batch == id }
        batches[id] = nil
        condition.unlock()
        var out: [Int: String?] = [:]
        for e in mine { out[e.task.index] = e.error }
        return out
    }

    /// Cancels every job of the run, then lets waiting `run` calls return "cancelled" for their shards.
    public func cancelAll() {
        cancelJobs()
        condition.lock()
        for e in entries where !e.done { e.done = true; e.error = "cancelled" }
        condition.broadcast()
        condition.unlock()
    }

    /// `scancel --name <run id>`: every job of the run, queued or running; stops polling. Waiting `run`
    /// calls stay blocked (for a caller about to exit, e.g. on Ctrl-C).
    public func cancelJobs() {
        condition.lock()
        cancelled = true
        condition.unlock()
        let r = try? SlurmCommand.run("scancel", ["--name", options.runID])
        log("submissions.log", "scancel --name \(options.runID) -> status \(r.map { String($0.status) } ?? "not run")")
    }

    // MARK: Submission

    /// Submits waiting tasks, oldest first, while the run has fewer than `queueSize` tasks in Slurm.
    private func admit() {
        condition.lock()
        let inSlurm = entries.filter { $0.admitted && !$0.done }.count
        var room = options.queueSize.map { max(0, $0 - inSlurm) } ?? Int.max
        var groups: [(batch: Int, entries: [Entry])] = []
        for e in entries where !e.admitted && !e.done && room > 0 && !cancelled {
            e.admitted = true
            room -= 1
            if groups.last?.batch == e.batch { groups[groups.count - 1].entries.append(e) } else { groups.append((e.batch, [e])) }
        }
        let work = groups.compactMap { g in batches[g.batch].map { (g.entries, $0) } }
        condition.unlock()
        for (group, batch) in work {
            do { try submit(group, attempt: 1, batch: batch) } catch {
                condition.lock()
                for e in group { e.done = true; e.error = "\(error)" }
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// Submits `group` (shards of one batch at one attempt) as arrays over fresh manifests.
    private func submit(_ group: [Entry], attempt: Int, batch: TaskBatch) throws {
        let limits = clusterLimits()
        var start = 0
        while start < group.count {
            let chunk = Array(group[start..<min(group.count, start + max(1, limits.maxArraySize))])
            start += chunk.count
            condition.lock()
            submissionCount += 1
            let seq = submissionCount
            condition.unlock()
            let manifest = batch.directory.appendingPathComponent("manifests")
                .appendingPathComponent("\(options.runID)-\(seq)-attempt\(attempt).jsonl")
            try ShardManifest.write(chunk.map { var t = $0.task; t.attempt = attempt; return t }, to: manifest)
            var args = ["--parsable", "--job-name", options.runID, "--array",
                        "0-\(chunk.count - 1)" + (options.throttle.map { "%\($0)" } ?? ""),
                        "--output", options.directory.appendingPathComponent("logs").path + "/%A_%a.log",
                        "--no-requeue", "--chdir", chunk[0].task.projectDirectory]
            let r = batch.resources
            if let c = r.cpus { args += ["--cpus-per-task", String(c)] }
            if let m = r.memoryMB { args += ["--mem", "\(m * attempt)M"] }
            if let t = r.time { args += ["--time", t] }
            if let p = r.partition { args += ["--partition", p] }
            if let a = r.account { args += ["--account", a] }
            args += ["--wrap", "exec \(ShellQuoting.quote(options.trellis)) exec-shard \(ShellQuoting.quote(manifest.path)) \"$SLURM_ARRAY_TASK_ID\""]
            try WorkDirectory.makeDirectory(options.directory.appendingPathComponent("logs"))
            let result = try SlurmCommand.run("sbatch", args)
            let jobID = result.stdout.split(separator: "\n").last.map { String($0.split(separator: ";")[0]) }?
                .trimmingCharacters(in: .whitespaces) ?? ""
            guard result.status == 0, !jobID.isEmpty, jobID.allSatisfy(\.isNumber) else {
                throw StageError("sbatch failed (status \(result.status)): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            condition.lock()
            for (k, e) in chunk.enumerated() { e.jobID = "\(jobID)_\(k)"; e.attempt = attempt; e.lostSince = nil }
            condition.unlock()
            let shards = chunk.map { String($0.task.index + 1) }.joined(separator: ",")
            log("submissions.log", "sbatch job=\(jobID) stage=\(batch.stage) attempt=\(attempt) tasks=\(chunk.count) shards=\(shards)"
                + (r.memoryMB.map { " mem=\($0 * attempt)M" } ?? ""))
            batch.note("[\(batch.stage)] submitted \(chunk.count) shard\(chunk.count == 1 ? "" : "s") as Slurm job \(jobID)"
                       + (attempt > 1 ? " (attempt \(attempt))" : ""))
        }
    }

    /// `MaxArraySize` and whether accounting is on, read once from `scontrol show config`.
    private func clusterLimits() -> (maxArraySize: Int, accounting: Bool) {
        condition.lock(); defer { condition.unlock() }
        if let cluster { return cluster }
        var size = 1001, accounting = false
        if let r = try? SlurmCommand.run("scontrol", ["show", "config"]), r.status == 0 {
            for line in r.stdout.split(separator: "\n") {
                let kv = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2 else { continue }
                if kv[0] == "MaxArraySize", let n = Int(kv[1]) { size = n }
                if kv[0] == "AccountingStorageType" { accounting = !kv[1].hasSuffix("/none") && !kv[1].isEmpty && kv[1] != "(null)" }
            }
        }
        cluster = (size, accounting)
        return (size, accounting)
    }

    // MARK: Monitoring

    private func monitor() {
        var polls = 0
        while true {
            Thread.sleep(forTimeInterval: options.pollInterval)
            condition.lock()
            let outstanding = entries.filter { !$0.done && !$0.jobID.isEmpty }
            let stop = cancelled
            condition.unlock()
            if stop { return }
            // Places freed since the last poll (finished tasks, failed submissions) go to waiting tasks.
            admit()
            if outstanding.isEmpty { continue }
            polls += 1
            let states = queryStates(poll: polls, outstanding: outstanding.count)
            let now = ResourceUsage.now()
            var retry: [(Entry, String)] = []
            condition.lock()
            for e in outstanding where !e.done {
                if ShardWorker.record(e.task) != nil { e.done = true; e.error = nil; continue }
                var failure: String?
                if let f = ShardWorker.failure(e.task, attempt: e.attempt) {
                    failure = f.error + (f.exitStatus != 0 ? " (exit status \(f.exitStatus), \(f.host))" : "")
                } else if let s = states?[e.jobID], !SlurmCommand.isTerminal(s) {
                    e.lostSince = nil
                } else if states != nil {
                    let since = e.lostSince ?? now
                    e.lostSince = since
                    if now - since >= options.markerTimeout {
                        failure = "Slurm task \(e.jobID) ended " + (states?[e.jobID].map { "in state \($0)" } ?? "(no longer queued)")
                            + " without a completion marker; see \(logPath(e.jobID))"
                    }
                }
                guard let failure else { continue }
                let batch = batches[e.batch]!
                if batch.retry.retries(after: e.attempt) { retry.append((e, failure)) } else { e.done = true; e.error = failure }
            }
            condition.broadcast()
            condition.unlock()
            for (e, why) in retry {
                let batch = batches[e.batch]!
                batch.note(batch.retry.failureNote("[\(batch.stage)] shard \(e.task.index + 1)", attempt: e.attempt, error: why,
                                                   next: "resubmitting"))
                do { try submit([e], attempt: e.attempt + 1, batch: batch) } catch {
                    condition.lock(); e.done = true; e.error = "\(why); resubmission failed: \(error)"; condition.broadcast(); condition.unlock()
                }
            }
            admit()
        }
    }

    /// ONE query covering every job of the run; nil when the query itself failed (nothing is concluded then).
    private func queryStates(poll: Int, outstanding: Int) -> [String: String]? {
        let accounting = clusterLimits().accounting
        let (program, args) = accounting
            ? ("sacct", ["-X", "--parsable2", "--noheader", "--format=JobID,State", "--name", options.runID, "--starttime", "now-7days"])
            : ("squeue", ["--noheader", "--array", "--states=all", "--name", options.runID, "--format=%i|%T"])
        let r = try? SlurmCommand.run(program, args)
        let states = r.flatMap { $0.status == 0 ? SlurmCommand.parseStates($0.stdout) : nil }
        log("status.log", "poll=\(poll) query=\(program) outstanding=\(outstanding) "
            + (states.map { "tasks=\($0.count)" } ?? "failed: \(r?.stderr.trimmingCharacters(in: .whitespacesAndNewlines) ?? "not run")"))
        return states
    }

    private func logPath(_ jobID: String) -> String {
        options.directory.appendingPathComponent("logs").appendingPathComponent(jobID + ".log").path
    }

    private let logLock = NSLock()
    private func log(_ file: String, _ line: String) {
        logLock.lock(); defer { logLock.unlock() }
        let url = options.directory.appendingPathComponent(file)
        try? WorkDirectory.makeDirectory(options.directory)
        let text = String(format: "%.3f ", ResourceUsage.now()) + line + "\n"
        if let h = FileHandle(forWritingAtPath: url.path) {
            h.seekToEndOfFile(); DescriptorWrite.all(h.fileDescriptor, text); try? h.close()
        } else {
            _ = FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8))
        }
    }
}

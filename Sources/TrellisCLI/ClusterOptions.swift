import Foundation
import PipelineEngine
import CLISupport

/// Where `trellis run` runs stages and shards: `--executor`, `--shards`, `--profile FILE` and the spec's
/// `executor:`. Precedence: defaults < profile < spec < command line.
///
/// A profile is a small YAML file:
///
///     executor: slurm
///     poll_interval: 30        # seconds between status queries (one per run)
///     throttle: 50             # array tasks of one submission running at once (%K)
///     marker_timeout: 120      # seconds a finished task may take to show its completion marker
///     resources:               # per-shard defaults; a stage's `resources:` overrides them key by key
///       partition: short
///       cpus: 4
///       mem: 8G
///       time: "02:00:00"
struct ClusterOptions {
    var executor: String?
    var shards: Int?
    var pollInterval: Double?
    var throttle: Int?
    var markerTimeout: Double?
    var resources = ShardResources()

    /// `trellis run`'s cluster options, for its schema.
    static let parameters = [
        ParameterSpec("shards", .int, doc: "split every record-mapping stage into N shards (overrides the spec's shards:; capped at the record count)"),
        ParameterSpec("executor", .choice(PipelineLoader.executors), doc: "where stages run: local (threads of this process) or slurm (a job per stage, an array per sharded stage)"),
        ParameterSpec("profile", .path, doc: "executor settings and default per-shard resources (YAML, see README)"),
        ParameterSpec("poll_interval", .float, doc: "seconds between Slurm status queries (default 10)"),
    ]

    static let profileKeys = ["executor", "poll_interval", "throttle", "marker_timeout", "resources", "shards"]

    static func check(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out: [(String, String)] = []
        if let n = p.int("shards"), !(1...100_000).contains(n) { out.append(("shards", "expected a whole number from 1 to 100000")) }
        if let v = p.double("poll_interval"), !(v > 0) { out.append(("poll_interval", "must be positive")) }
        return out
    }

    /// Profile first, then the command line over it.
    init(_ p: TypedParameters) throws {
        if let path = p.string("profile") { try readProfile(path) }
        if let e = p.string("executor") { executor = e }
        if let n = p.int("shards") { shards = n }
        if let v = p.double("poll_interval") { pollInterval = v }
    }

    mutating func readProfile(_ path: String) throws {
        let root: SpecNode
        do { root = try SpecParser.parse(contentsOf: path) } catch {
            print("\(error)", to: &standardError)
            throw ExitStatus(code: 1)
        }
        var problems: [String] = []
        func bad(_ node: SpecNode, _ message: String) { problems.append("\(node.location): \(message)") }
        for e in root.entries ?? [] {
            let text = e.value.scalarValue
            switch e.key {
            case "executor":
                if let t = text, PipelineLoader.executors.contains(t) { executor = t } else { bad(e.value, "'executor' expects local or slurm") }
            case "shards":
                if let t = text, let n = Int(t), n >= 1 { shards = n } else { bad(e.value, "'shards' expects a whole number ≥ 1") }
            case "poll_interval":
                if let t = text, let v = Double(t), v > 0 { pollInterval = v } else { bad(e.value, "'poll_interval' expects seconds > 0") }
            case "marker_timeout":
                if let t = text, let v = Double(t), v >= 0 { markerTimeout = v } else { bad(e.value, "'marker_timeout' expects seconds ≥ 0") }
            case "throttle":
                if let t = text, let n = Int(t), n >= 1 { throttle = n } else { bad(e.value, "'throttle' expects a whole number ≥ 1") }
            case "resources":
                for r in e.value.entries ?? [] {
                    guard let t = r.value.scalarValue else { bad(r.value, "resource '\(r.key)' expects a scalar"); continue }
                    if let m = resources.set(r.key, t) { bad(r.value, m) }
                }
                if e.value.entries == nil { bad(e.value, "'resources' expects a mapping") }
            default:
                problems.append("\(e.value.location): unknown profile key '\(e.key)'; expected one of: "
                                + Self.profileKeys.joined(separator: ", "))
            }
        }
        if root.entries == nil { problems.append("\(root.location): a profile is a mapping of settings") }
        if !problems.isEmpty {
            for p in problems { print(p, to: &standardError) }
            throw ExitStatus(code: 1)
        }
    }

    /// Applies these settings to `options`; returns the Slurm executor when one is used (for Ctrl-C).
    /// `jobs` (`--jobs`) is the Slurm queue size: tasks of the run queued or running at once
    /// (default `defaultQueueSize`, Nextflow's grid default).
    func apply(to options: inout RunOptions, pipeline: Pipeline, jobs: Int?) -> SlurmExecutor? {
        options.shards = shards
        options.resources = resources
        guard (executor ?? pipeline.executor) == "slurm" else { return nil }
        let runID = SlurmExecutor.makeRunID()
        var o = SlurmExecutor.Options(runID: runID, directory: options.workDirectory.appendingPathComponent("slurm").appendingPathComponent(runID),
                                      trellis: Self.executablePath())
        if let p = pollInterval { o.pollInterval = p }
        if let m = markerTimeout { o.markerTimeout = m }
        o.throttle = throttle
        o.queueSize = jobs ?? Self.defaultQueueSize
        let slurm = SlurmExecutor(options: o)
        options.executor = slurm
        return slurm
    }

    static let defaultQueueSize = 100

    /// This executable's absolute path (what the array tasks run).
    static func executablePath() -> String {
        if let p = Bundle.main.executableURL?.resolvingSymlinksInPath().path { return p }
        let arg0 = CommandLine.arguments[0]
        return arg0.hasPrefix("/") ? arg0 : FileManager.default.currentDirectoryPath + "/" + arg0
    }
}

/// Ctrl-C (or SIGTERM, or SIGHUP when the terminal goes away) during `trellis run`: stop the commands stages are running (SIGTERM to their process
/// groups, SIGKILL after a grace period), cancel the run's Slurm jobs (`scancel --name <run id>`), remove
/// the scratch space holding partial outputs, then exit 130. Finished stages stay committed.
enum InterruptHandler {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) static var interrupted = false
    static let state = NSLock()

    /// When a signal arrived, blocks until the handler exits the process (the run may return first, its
    /// stages having failed from the signal, and must not exit with their status instead of 130).
    static func waitIfInterrupted() {
        state.lock(); let now = interrupted; state.unlock()
        guard now else { return }
        while true { pause() }
    }

    static func install(slurm: SlurmExecutor?, workDirectory: URL) {
        ChildRegistry.shared.separateProcessGroups = true
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                state.lock(); let first = !interrupted; interrupted = true; state.unlock()
                guard first else { return }
                print("\ninterrupted: stopping running commands", to: &standardError)
                ChildRegistry.shared.terminateAll()
                if let slurm {
                    print("interrupted: cancelling Slurm jobs named \(slurm.options.runID)", to: &standardError)
                    slurm.cancelJobs()
                }
                // Partial outputs live only in the scratch space (outputs are renamed into place when a stage succeeds).
                try? WorkDirectory(root: workDirectory).clearScratch()
                exit(130)
            }
            s.resume()
            sources.append(s)
        }
    }
}

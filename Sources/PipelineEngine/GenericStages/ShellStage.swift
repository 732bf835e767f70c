import CProcess
import Foundation

/// `shell`: runs a command in its own scratch directory. Declared inputs are symlinked into it at the
/// same relative paths (as Nextflow stages inputs); declared outputs must appear there and are then
/// renamed to their place in the project, so a failed or killed command never leaves a partial output.
struct ShellStage: StageType, ScratchLayout {
    let name = "shell"
    let version = 1
    let summary = "run a shell command with declared inputs and outputs"
    let parameters: [ParameterSpec] = [
        ParameterSpec("command", .string, required: true, doc: "bash script (run with -e -o pipefail) in the stage's own directory"),
        ParameterSpec("inputs", .list(.path), default: .list([]), doc: "files the command reads; digested into the cache key"),
        ParameterSpec("outputs", .map(.outputPath), default: .map([:]),
                      doc: "relative paths the command writes (list, or mapping name: path); checked, then moved into place"),
        ParameterSpec("records", .path, doc: "record file the command maps over, as $TRELLIS_RECORDS (lets the stage be sharded)"),
        ParameterSpec("record_format", .choice(["fasta", "lines", "csv"]), default: .string("fasta"),
                      doc: "how `records` splits into shards: FASTA records, lines, or CSV rows under a repeated header"),
    ]
    let outputs: [OutputSpec] = []

    func declaredOutputs(_ p: TypedParameters) -> [String] { p.mapping("outputs").map(\.name) }

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out: [(String, String)] = []
        for (_, path) in p.mapping("outputs") {
            if path.hasPrefix("/") { out.append(("outputs", "'\(path)' must be a relative path (the command writes it in its own directory)")) }
            else if path.split(separator: "/").contains("..") { out.append(("outputs", "'\(path)' must not contain '..'")) }
        }
        return out
    }

    func scratchDirectories(_ p: TypedParameters) -> Set<String> {
        var dirs: Set<String> = [".trellis-out"]
        let relative = p.strings("inputs").filter { !$0.hasPrefix("/") } + p.mapping("outputs").map(\.value)
        for path in relative {
            var parent = PathName.parent(path)
            while !parent.isEmpty && parent != "." && parent != "/" {
                dirs.insert(parent)
                parent = PathName.parent(parent)
            }
        }
        return dirs
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let dir = context.scratchDirectory
        let fm = FileManager.default
        for input in p.strings("inputs") where !input.hasPrefix("/") {
            let link = dir.appendingPathComponent(input)
            WorkDirectory.makeDirectories(link.deletingLastPathComponent().path)
            try? fm.createSymbolicLink(at: link, withDestinationURL: p.resolve(input))
        }
        let declared = p.mapping("outputs")
        for (_, path) in declared {
            WorkDirectory.makeDirectories(dir.appendingPathComponent(path).deletingLastPathComponent().path)
        }
        let status = try ChildProcess.run(script: p.string("command")!, directory: dir, logDescriptor: context.logDescriptor,
                                          environment: ["TRELLIS_STAGE": context.stageID,
                                                        "TRELLIS_PROJECT": context.projectDirectory.path,
                                                        "TRELLIS_OUTPUT_DIR": context.outputDirectory.path,
                                                        "TRELLIS_RECORDS": p.url("records")?.path ?? ""])
        context.addChildUsage(cpuSeconds: status.cpuSeconds, peakRSSKB: status.peakRSSKB)
        if let signal = status.signal { throw StageError("command killed by signal \(signal)", exitStatus: 128 + Int(signal)) }
        if status.exitStatus != 0 { throw StageError("command exited with status \(status.exitStatus)", exitStatus: Int(status.exitStatus)) }
        let missing = declared.filter { FileDigester.fileInfo(dir.appendingPathComponent($0.value).path) == nil }
        if !missing.isEmpty {
            throw StageError("the command did not create declared output" + (missing.count > 1 ? "s " : " ")
                             + missing.map { "'\($0.value)'" }.joined(separator: ", "))
        }
        for (name, path) in declared {
            context.publish(name, existing: dir.appendingPathComponent(path), to: path)
        }
    }
}

/// `bash -e -o pipefail -c script` under a supervisor, with stdout/stderr to a log; reaps with wait4 for CPU and RSS.
public enum ChildProcess {
    public struct Status {
        var exitStatus: Int32
        var signal: Int32?
        var cpuSeconds: Double
        var peakRSSKB: Int
    }

    /// posix_spawn (no copy of this process's memory) with every signal at its default disposition, stdin
    /// from /dev/null and output to the log (or /dev/null), in a new process group when `grouped`, with
    /// every signal blocked when `blockSignals` (the watchdog waits for them synchronously) or none.
    static func spawn(_ program: String, arguments: [String], environment: [UnsafeMutablePointer<CChar>?],
                      logDescriptor: Int32, grouped: Bool, blockSignals: Bool, stdin: Int32 = -1) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin >= 0 { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
        else { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        if logDescriptor >= 0 {
            posix_spawn_file_actions_adddup2(&actions, logDescriptor, 1)
            posix_spawn_file_actions_adddup2(&actions, logDescriptor, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t(), mask = sigset_t()
        sigfillset(&all)
        if blockSignals { sigfillset(&mask) } else { sigemptyset(&mask) }
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &mask)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (grouped ? POSIX_SPAWN_SETPGROUP : 0)))
        let cArgs = arguments.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, &attr, cArgs, environment)
        guard rc == 0 else { throw StageError("cannot start \(program): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// The token of this process's watchdog (`trellis-supervise --watch`, beside this executable), started
    /// on first use; it kills every command started with the token once this process is gone, even after
    /// SIGKILL. Nil when the watchdog executable is missing.
    static let watchdogToken: String? = startWatchdog()

    private static func startWatchdog() -> String? {
        // Foundation finds the executable portably (/proc/self/exe on Linux, the loader on macOS).
        guard let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().path else { return nil }
        let supervisor = PathName.join(PathName.parent(exe), "trellis-supervise")
        guard FileManager.default.isExecutableFile(atPath: supervisor) else { return nil }
        // The write end stays open (close-on-exec, so no command inherits it) for the life of this process.
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        // Close-on-exec at once: a command spawned meanwhile by another thread would keep the pipe open.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let token = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let env = ProcessInfo.processInfo.environment.filter { $0.key != "TRELLIS_RUN_TOKEN" }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        let started = try? spawn(supervisor, arguments: [supervisor, "--watch", token], environment: env,
                                 logDescriptor: -1, grouped: false, blockSignals: true, stdin: fds[0])
        close(fds[0])
        guard started != nil else { close(fds[1]); return nil }
        return token
    }

    static let shell: [String] = FileManager.default.isExecutableFile(atPath: "/bin/bash")
        ? ["/bin/bash", "-e", "-o", "pipefail", "-c"] : ["/bin/sh", "-e", "-c"]

    public static func run(script: String, directory: URL, logDescriptor: Int32, environment: [String: String]) throws -> Status {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let watchdog = Self.watchdogToken
        if let watchdog { env["TRELLIS_RUN_TOKEN"] = watchdog }
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnv.forEach { free($0) } }
        let grouped = ChildRegistry.shared.separateProcessGroups
        var pid: pid_t = 0
        try ChildRegistry.shared.spawning {
            if watchdog != nil {
                // The run's watchdog kills this command (found by its TRELLIS_RUN_TOKEN) if the runner dies.
                // Change directory inside the script: posix_spawn_file_actions_addchdir_np is not imported.
                let quoted = ShellQuoting.quote(directory.path)
                pid = try spawn(shell[0], arguments: shell + ["cd -- \(quoted)\n" + script], environment: cEnv,
                                logDescriptor: logDescriptor, grouped: grouped, blockSignals: false)
                return pid
            }
            // No watchdog (an engine used as a library, or `trellis-supervise` missing): a supervisor forked
            // from this process, which kills the command's group when this process dies.
            let argv = shell + [script]
            let cArgs = argv.map { strdup($0) } + [nil]
            defer { cArgs.forEach { free($0) } }
            let rc = trellis_spawn_supervised(argv[0], cArgs, cEnv, directory.path, logDescriptor, grouped ? 1 : 0)
            guard rc > 0 else {
                throw StageError("cannot start \(argv[0]) in \(directory.path): \(String(cString: strerror(-rc)))")
            }
            pid = rc
            return pid
        }
        defer { ChildRegistry.shared.reaped(pid) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw StageError("wait for the command failed: \(String(cString: strerror(errno)))") }
        }
        let cpu = ResourceUsage.seconds(usage)
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: the macros are not imported into Swift.
        let termSignal = status & 0x7F
        if termSignal == 0 { return Status(exitStatus: (status >> 8) & 0xFF, signal: nil, cpuSeconds: cpu, peakRSSKB: Int(usage.ru_maxrss)) }
        return Status(exitStatus: -1, signal: termSignal, cpuSeconds: cpu, peakRSSKB: Int(usage.ru_maxrss))
    }
}

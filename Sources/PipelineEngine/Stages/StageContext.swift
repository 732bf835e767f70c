import Foundation

/// What a running stage sees: typed parameters, where to write, how to report progress and log.
///
/// Files go to temporary places only: `output(_:file:)` inside `outputDirectory` (moved to the work
/// directory's `objects/<key>/` when the stage succeeds) and `publish(_:to:)` for declared paths such
/// as `out/x.tsv` (renamed into place when the stage succeeds). A failed stage leaves nothing behind.
public final class StageContext: @unchecked Sendable {
    public let stageID: String
    public let parameters: TypedParameters
    /// Temporary directory for internal outputs (created on first use).
    public var outputDirectory: URL { made(outputURL) }
    /// Temporary working space (created on first use), private to this stage while it runs; it is reused by
    /// later stages after being emptied, and removed at the end of the run.
    public var scratchDirectory: URL { made(scratchURL) }
    /// The directory relative paths are resolved against.
    public var projectDirectory: URL { parameters.projectDirectory }
    /// Outputs of the stages this one depends on, in dependency order.
    public let upstream: [(stage: String, outputs: [String: OutputValue])]
    /// File descriptor of the stage's log (for child processes' stdout and stderr); the file is created
    /// on first use, so stages that never log cost no file.
    public var logDescriptor: Int32 { logFile.descriptor }
    let logFile: LazyLog

    let outputURL: URL
    let scratchURL: URL
    let publishURL: URL
    private var madeDirectories = Set<String>()
    private let lock = NSLock()
    private(set) var internalOutputs: [String: [String]] = [:]
    private(set) var listOutputs: Set<String> = []
    private(set) var textOutputs: [String: String] = [:]
    private(set) var published: [(name: String, temp: URL, path: String)] = []
    private(set) var childCPU: Double = 0
    private(set) var childRSSKB = 0
    let progressSink: @Sendable (Int, Int?) -> Void

    init(stageID: String, parameters: TypedParameters, directory: URL, upstream: [(stage: String, outputs: [String: OutputValue])],
         log: LazyLog, progress: @escaping @Sendable (Int, Int?) -> Void) throws {
        self.stageID = stageID
        self.parameters = parameters
        // One directory per attempt, created on first use: it is the scratch space, and holds the internal
        // outputs and unpublished files under dot-names. Few directories per stage matter: creating and
        // deleting inodes is what a trivial stage costs most on ext4.
        self.scratchURL = directory
        self.outputURL = directory.appendingPathComponent(".trellis-out")
        self.publishURL = directory
        self.upstream = upstream
        self.logFile = log
        self.progressSink = progress
    }

    /// A context logging to an already open descriptor (which it does not close).
    convenience init(stageID: String, parameters: TypedParameters, directory: URL, upstream: [(stage: String, outputs: [String: OutputValue])],
                     logDescriptor: Int32, progress: @escaping @Sendable (Int, Int?) -> Void) throws {
        try self.init(stageID: stageID, parameters: parameters, directory: directory, upstream: upstream,
                      log: LazyLog(descriptor: logDescriptor), progress: progress)
    }

    /// Creates one of the stage's directories the first time it is asked for (trivial stages need none).
    private func made(_ url: URL) -> URL {
        lock.lock(); defer { lock.unlock() }
        if !madeDirectories.contains(url.path) {
            WorkDirectory.makeDirectories(url.path)
            madeDirectories.insert(url.path)
        }
        return url
    }

    /// Registers output `name` as a file inside `outputDirectory` and returns where to write it.
    @discardableResult
    public func output(_ name: String, file relativePath: String) -> URL {
        let url = outputDirectory.appendingPathComponent(relativePath)
        lock.lock(); defer { lock.unlock() }
        internalOutputs[name] = [relativePath]
        WorkDirectory.makeDirectories(url.deletingLastPathComponent().path)
        return url
    }

    /// Registers output `name` as several files inside `outputDirectory`; returns where to write them.
    @discardableResult
    public func output(_ name: String, files relativePaths: [String]) -> [URL] {
        let dir = outputDirectory
        lock.lock(); defer { lock.unlock() }
        internalOutputs[name] = relativePaths
        listOutputs.insert(name)
        return relativePaths.map { dir.appendingPathComponent($0) }
    }

    /// Where a stage writes output `name`: the path given by `parameter` (published there) when the stage
    /// was given one, else `internalFile` inside `outputDirectory`.
    public func destination(_ name: String, parameter: String = "output", internalFile: String) -> URL {
        if let path = parameters.string(parameter) { return publish(name, to: path) }
        return output(name, file: internalFile)
    }

    /// Registers output `name` as the file published at `path` (relative to the project or absolute) and
    /// returns the temporary URL to write; it is renamed to `path` only if the stage succeeds.
    public func publish(_ name: String, to path: String) -> URL {
        let dir = made(publishURL)
        lock.lock(); defer { lock.unlock() }
        let temp = dir.appendingPathComponent(".trellis-publish-\(published.count)-" + PathName.lastComponent(path))
        published.append((name, temp, path))
        return temp
    }

    /// Registers output `name` as `file` (already written, inside `scratchDirectory`), published at `path`
    /// when the stage succeeds.
    public func publish(_ name: String, existing file: URL, to path: String) {
        lock.lock(); defer { lock.unlock() }
        published.append((name, file, path))
    }

    /// Registers a text output.
    public func output(_ name: String, text: String) {
        lock.lock(); defer { lock.unlock() }
        textOutputs[name] = text
    }

    /// Reports progress over the stage's items (sequences, records, …); `total` nil when unknown.
    public func progress(done: Int, total: Int?) {
        progressSink(done, total)
    }

    /// Appends a line to the stage's log.
    public func log(_ message: String) {
        logFile.write(message.hasSuffix("\n") ? message : message + "\n")
    }

    /// Adds the resource usage of a child process the stage ran (from `wait4`).
    public func addChildUsage(cpuSeconds: Double, peakRSSKB: Int) {
        lock.lock(); defer { lock.unlock() }
        childCPU += cpuSeconds
        childRSSKB = max(childRSSKB, peakRSSKB)
    }
}

/// A log file opened on first write.
final class LazyLog: @unchecked Sendable {
    let url: URL
    private var fd: Int32 = -1
    private let lock = NSLock()

    private var owned = true

    init(url: URL) { self.url = url }

    /// Wraps a descriptor someone else opened and will close.
    init(descriptor: Int32) {
        url = URL(fileURLWithPath: "/dev/null")
        fd = descriptor
        owned = false
    }

    var descriptor: Int32 {
        lock.lock(); defer { lock.unlock() }
        if fd < 0 { fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        return fd
    }

    var wasOpened: Bool { lock.lock(); defer { lock.unlock() }; return fd >= 0 }

    func write(_ text: String) {
        let d = descriptor
        guard d >= 0 else { return }
        text.withCString { _ = Foundation.write(d, $0, strlen($0)) }
    }

    func close() {
        lock.lock(); defer { lock.unlock() }
        if fd >= 0 && owned { Foundation.close(fd) }
        fd = -1
    }
}

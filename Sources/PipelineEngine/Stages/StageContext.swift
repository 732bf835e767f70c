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
    /// Temporary working space, deleted when the stage ends (created on first use).
    public var scratchDirectory: URL { made(scratchURL) }
    /// The directory relative paths are resolved against.
    public var projectDirectory: URL { parameters.projectDirectory }
    /// Outputs of the stages this one depends on, in dependency order.
    public let upstream: [(stage: String, outputs: [String: OutputValue])]
    /// File descriptor of the stage's log (for child processes' stdout and stderr).
    public let logDescriptor: Int32

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
         logDescriptor: Int32, progress: @escaping @Sendable (Int, Int?) -> Void) throws {
        self.stageID = stageID
        self.parameters = parameters
        self.outputURL = directory.appendingPathComponent("out")
        self.scratchURL = directory.appendingPathComponent("scratch")
        self.publishURL = directory.appendingPathComponent("publish")
        self.upstream = upstream
        self.logDescriptor = logDescriptor
        self.progressSink = progress
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

    /// Registers output `name` as the file published at `path` (relative to the project or absolute) and
    /// returns the temporary URL to write; it is renamed to `path` only if the stage succeeds.
    public func publish(_ name: String, to path: String) -> URL {
        let dir = made(publishURL)
        lock.lock(); defer { lock.unlock() }
        let temp = dir.appendingPathComponent("\(published.count)-" + (path as NSString).lastPathComponent)
        published.append((name, temp, path))
        return temp
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
        let line = message.hasSuffix("\n") ? message : message + "\n"
        line.withCString { _ = write(logDescriptor, $0, strlen($0)) }
    }

    /// Adds the resource usage of a child process the stage ran (from `wait4`).
    public func addChildUsage(cpuSeconds: Double, peakRSSKB: Int) {
        lock.lock(); defer { lock.unlock() }
        childCPU += cpuSeconds
        childRSSKB = max(childRSSKB, peakRSSKB)
    }
}

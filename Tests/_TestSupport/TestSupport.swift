import Foundation
import PipelineEngine
import XCTest

/// Paths and comparisons shared by every test target.
public enum TestSupport {
    /// The repository root (the directory holding Package.swift).
    public static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `Tests/Fixtures`, holding committed fixtures made by `scripts/make_fixtures.py`.
    public static var fixtures: URL { repoRoot.appendingPathComponent("Tests/Fixtures") }

    /// `$TRELLIS_SHARED` when set, else `../shared` beside the repository; nil when absent (tests that
    /// need it skip). The variable serves checkouts that do not sit beside `shared` (git worktrees).
    public static var shared: URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["TRELLIS_SHARED"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env))
        }
        candidates.append(repoRoot.deletingLastPathComponent().appendingPathComponent("shared"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// `../shared/<relative>`, or throws XCTSkip when ../shared is absent.
    public static func sharedPath(_ relative: String) throws -> URL {
        guard let root = shared else { throw XCTSkip("../shared is absent") }
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) is absent") }
        return url
    }

    /// The release or debug `trellis` binary built beside the test bundle.
    public static var trellisBinary: URL {
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
            ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("trellis")
    }

    /// Starts `trellis` with arguments in the background, output discarded (tests that signal or kill it).
    public static func startTrellis(_ args: [String], cwd: URL, environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = trellisBinary
        p.arguments = args
        p.currentDirectoryURL = cwd
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs `trellis` with arguments; returns exit status, stdout and stderr.
    @discardableResult
    public static func runTrellis(_ args: [String], cwd: URL? = nil, environment: [String: String]? = nil) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let p = Process()
        p.executableURL = trellisBinary
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        return try ProcessCapture.run(p)
    }

    /// One stage of a spec's `stages:` map, as YAML: `with` values are written as given (flow lists, paths).
    public static func stageYAML(_ id: String, uses: String, needs: [String] = [],
                                 with parameters: KeyValuePairs<String, String>) -> String {
        "  \(id):\n    uses: \(uses)\n" + (needs.isEmpty ? "" : "    needs: [\(needs.joined(separator: ", "))]\n")
            + "    with:\n" + parameters.map { "      \($0.key): \($0.value)\n" }.joined()
    }

    /// A fresh temporary directory, removed by the caller or left for the OS.
    public static func temporaryDirectory(_ name: String = "trellis-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A fresh temporary directory with `names` of the repository (samples, pipelines, Tests…) linked into it:
    /// a project to run the shipped pipelines in.
    public static func projectDirectory(_ name: String, linking names: [String] = ["samples", "pipelines", "Tests"]) throws -> URL {
        let dir = try temporaryDirectory(name)
        for n in names {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(n), withDestinationURL: repoRoot.appendingPathComponent(n))
        }
        return dir
    }

    /// Largest absolute elementwise difference; prints it so every parity test shows its figure.
    public static func maxAbsDiff(_ a: [Float], _ b: [Float], label: String = "") -> Float {
        precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
        var m: Float = 0
        for i in a.indices { m = max(m, abs(a[i] - b[i])) }
        if !label.isEmpty { print("max abs diff [\(label)]: \(m)") }
        return m
    }
}

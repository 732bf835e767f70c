import Foundation

/// A Python reference script under `scripts/bench/`, run by a benchmark to print the reference figure
/// beside Trellis' own in the same run. Python is optional: when it or the script is missing the
/// benchmark prints its own figures only.
struct ReferenceScript {
    /// Interpreter: `--python`, else `$TRELLIS_PYTHON`, else `python3` on PATH.
    let python: String
    let script: URL

    /// Locates `scripts/bench/<name>` under the working directory or above the executable.
    init?(_ name: String, python explicit: String? = nil) {
        let relative = "scripts/bench/" + name
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relative)]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent(relative))
            dir.deleteLastPathComponent()
        }
        guard let script = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { return nil }
        self.script = script
        self.python = explicit ?? ProcessInfo.processInfo.environment["TRELLIS_PYTHON"] ?? "python3"
    }

    /// Runs the script with `arguments` and extra environment; returns its stdout and exit status
    /// (stderr is discarded: the reference's warnings are not ours to print).
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (output: Data, status: Int32) {
        let p = Process()
        if python.contains("/") {
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [script.path] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python, script.path] + arguments
        }
        // With AVX-512 forced off, the reference is kept on AVX2 as well (BenchHeader.referenceEnvironment).
        p.environment = ProcessInfo.processInfo.environment.merging(BenchHeader.referenceEnvironment) { $1 }
            .merging(extra) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (data, p.terminationStatus)
    }
}

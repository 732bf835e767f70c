import Formats
import Foundation

/// The one way a benchmark starts another program: a reference script under `scripts/bench/` (Python via
/// `--python`, `$TRELLIS_PYTHON` or `python3`; shell scripts directly), a tool such as `gzip`, or a child
/// `trellis`. Python is optional: when it or the script is missing the benchmark prints its own figures only.
struct ReferenceScript {
    /// Interpreter (if any) and script path: the start of the command line.
    let command: [String]
    let script: URL
    /// The interpreter named for messages (`python3`, a path, or the script itself).
    var interpreter: String { command.count > 1 ? command[command.count - 2] : script.path }

    /// Locates `scripts/bench/<name>` under the working directory or above the executable; nil when absent.
    init?(_ name: String, python explicit: String? = nil) {
        guard let script = Self.locate("scripts/bench/" + name) else { return nil }
        self.init(file: script, python: explicit)
    }

    /// The script at `script` (a `--script` option), Python when it ends in `.py`.
    init(file script: URL, python explicit: String? = nil) {
        self.script = script
        if script.pathExtension == "py" {
            let python = explicit ?? ProcessInfo.processInfo.environment["TRELLIS_PYTHON"] ?? "python3"
            command = Self.launcher(python) + [script.path]
        } else {
            command = [script.path]
        }
    }

    /// A repository file (`relative` to its root) under the working directory or above the executable.
    static func locate(_ relative: String) -> URL? {
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relative)]
        var dir = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
            .resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent(relative))
            dir.deleteLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// `program` as the start of a command line: a path as is, a bare name through `/usr/bin/env` (PATH).
    static func launcher(_ program: String) -> [String] {
        program.contains("/") ? [program] : ["/usr/bin/env", program]
    }

    /// Runs the script with `arguments`; see `launch`.
    func run(_ arguments: [String], environment extra: [String: String] = [:], removing: [String] = []) throws -> Output {
        try Self.launch(command + arguments, environment: extra, removing: removing)
    }

    /// What a finished program printed on stdout and how it exited.
    struct Output {
        let data: Data
        let status: Int32
        var text: String { String(decoding: data, as: UTF8.self) }
        /// The whole stdout as one JSON object, when it is one.
        var json: [String: Any]? { try? JSONReader.parse([UInt8](data)).foundation as? [String: Any] }
        /// Every stdout line that is a JSON object, in order.
        var jsonLines: [[String: Any]] {
            text.split(separator: "\n").compactMap { try? JSONReader.parse(Array($0.utf8)).foundation as? [String: Any] }
        }
    }

    /// Runs `command` (`command[0]` an executable path) to completion with this environment plus `extra`,
    /// less `removing`, and the reference environment (AVX2 when AVX-512 is forced off). stdout is captured;
    /// stderr is discarded (the reference's warnings are not ours to print) unless `stderr` is true.
    static func launch(_ command: [String], environment extra: [String: String] = [:], removing: [String] = [],
                       stdout capture: Bool = true, stderr: Bool = false) throws -> Output {
        guard let executable = command.first else { return Output(data: Data(), status: 127) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = Array(command.dropFirst())
        var env = ProcessInfo.processInfo.environment
        for key in removing { env.removeValue(forKey: key) }
        p.environment = env.merging(BenchHeader.referenceEnvironment) { $1 }.merging(extra) { $1 }
        let out = Pipe()
        p.standardOutput = capture ? out : FileHandle.nullDevice
        if !stderr { p.standardError = FileHandle.nullDevice }
        try p.run()
        let data = capture ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        p.waitUntilExit()
        return Output(data: data, status: p.terminationStatus)
    }
}

import Foundation
import Formats
import PipelineEngine
import CLISupport

/// An `--output` argument: a path, or `-` for stdout. For `-` the command writes a private temporary file
/// and `publish()` copies it to stdout once the command succeeded, so a failure never leaves half an output
/// on stdout (the same promise the atomic file writers make for files).
struct OutputFile {
    /// Where the command writes.
    let url: URL
    let toStdout: Bool
    /// Shown in messages: the path as given, or "stdout".
    let display: String

    init(_ text: String, suffix: String) throws {
        display = text == "-" ? "stdout" : text
        guard text == "-" else {
            url = URL(fileURLWithPath: text)
            toStdout = false
            removeStaleTemporaries(beside: url)
            return
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("trellis-stdout-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        url = directory.appendingPathComponent("output" + suffix)
        toStdout = true
    }

    /// The `--output` option of a command that writes one file (`-` is stdout), for its schema.
    static func parameter(_ doc: String, name: String = "output") -> ParameterSpec {
        ParameterSpec(name, .outputPath, required: true, doc: doc + "; '-' = stdout (written once the command succeeded)")
    }


    /// Copies the temporary file to stdout (for `-`) and removes it; nothing for a path.
    func publish() throws {
        guard toStdout else { return }
        defer { discard() }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw CLIError.output("-", "the command wrote no output")
        }
        defer { try? handle.close() }
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            if let e = DescriptorWrite.all(1, chunk) {
                throw CLIError.output("-", "cannot write stdout: \(DescriptorWrite.reason(e))")
            }
        }
    }

    /// Removes the temporary file of `-` (after a failure too).
    func discard() {
        if toStdout { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    }
}

/// Mistakes about files named on the command line that are not argument-syntax errors.
enum CLIError: Error, CustomStringConvertible {
    /// An output path (or `-`) and what is wrong with it.
    case output(String, String)

    var description: String {
        switch self {
        case .output(let path, let detail): return "\(path): \(detail)"
        }
    }
}

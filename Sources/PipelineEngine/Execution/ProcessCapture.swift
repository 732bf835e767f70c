import Foundation

/// Runs a short helper program to completion and captures what it printed (Slurm clients, tests that run
/// `trellis`): stdout and stderr are read concurrently, so a chatty child cannot block on a full pipe.
public enum ProcessCapture {
    /// Runs `p` (executable and arguments set, not yet started); stdin is the null device.
    public static func run(_ p: Process) throws -> (status: Int32, stdout: String, stderr: String) {
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // The group's wait orders the background read before the use below.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
    }

    /// Runs `p` with stderr (and stdout, unless `stdout` names another destination) into one pipe; returns
    /// the text once the program has exited.
    public static func runMerged(_ p: Process, stdout: FileHandle? = nil) throws -> String {
        let pipe = Pipe()
        p.standardOutput = stdout ?? pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text
    }
}

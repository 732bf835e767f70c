import Foundation

/// Runs a Slurm client (`sbatch`, `squeue`, `sacct`, `scancel`, `scontrol`) found on PATH and captures its output.
public enum SlurmCommand {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ program: String, _ arguments: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + arguments
        do {
            let r = try ProcessCapture.run(p)
            return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
        } catch {
            throw StageError("cannot run \(program): \(error.localizedDescription)")
        }
    }

    /// Array task states from `squeue`/`sacct` lines `<id>|<STATE>`; a pending range `123_[0-5%2,7]` expands
    /// to one entry per index.
    public static func parseStates(_ text: String) -> [String: String] {
        var states: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count >= 2 else { continue }
            let id = parts[0].trimmingCharacters(in: .whitespaces)
            // sacct prints e.g. "CANCELLED by 0"; keep the first word.
            let state = parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
            if let open = id.firstIndex(of: "["), id.hasSuffix("]"), id[..<open].hasSuffix("_") {
                let job = id[..<id.index(before: open)]
                let body = id[id.index(after: open)..<id.index(before: id.endIndex)]
                for piece in body.split(separator: ",") {
                    // "%K" (the throttle) ends the list: "[4-6,9%2]".
                    let range = piece.split(separator: "%", maxSplits: 1).first ?? piece
                    let ends = range.split(separator: "-").compactMap { Int($0) }
                    guard let lo = ends.first else { continue }
                    for k in lo...(ends.count > 1 ? max(lo, ends[1]) : lo) { states["\(job)_\(k)"] = state }
                }
            } else {
                states[id] = state
            }
        }
        return states
    }

    /// States after which a task will not write anything more.
    public static func isTerminal(_ state: String) -> Bool {
        !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING",
          "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SPECIAL_EXIT", "STOPPED", "PD", "R", "CF", "CG", "S", "ST"].contains(state)
    }
}

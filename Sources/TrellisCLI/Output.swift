import Formats
import Foundation
import DataIO
import PipelineEngine
import CLISupport

/// Removes the temporary files of earlier runs killed while writing `output` (`.<name>.tmp-<pid>-…`
/// whose process is gone), so a kill -9 leaves no clutter past the next run. `<output>.parts/` is kept:
/// it is what `--resume` continues from.
func removeStaleTemporaries(beside output: URL) {
    let prefix = "/." + output.lastPathComponent + ".tmp-"
    for path in AtomicFile.staleTemporaries(in: output.deletingLastPathComponent().path) where path.contains(prefix) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

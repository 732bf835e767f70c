import Foundation
import PipelineEngine
import TrellisCLI

// A closed pipe on stdout is a write error reported by the command (exit 1), not death by SIGPIPE.
signal(SIGPIPE, SIG_IGN)
// Entry point: dispatch the first argument to a registered command.
var status = CommandLineTool.main(Array(CommandLine.arguments.dropFirst()))
// `print` goes through C stdio, which drops write errors: a full disk behind stdout must not exit 0.
if fflush(stdout) != 0 || ferror(stdout) != 0 {
    let e = errno
    if e != EPIPE { DescriptorWrite.all(2, "trellis: cannot write stdout: \(DescriptorWrite.reason(e))\n") }
    if status == 0 { status = 1 }
}
exit(status)

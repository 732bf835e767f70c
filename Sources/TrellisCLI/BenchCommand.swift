import Foundation
import Benchmarks
import CLISupport

/// `trellis bench <what>`: benchmarks that print their figure next to a reference measured in the same run.
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "run a benchmark (gemm, …) and print it next to its reference"
    static let usage = """
    USAGE: trellis bench <benchmark> [--json] [options]      (trellis bench <benchmark> --help for its options)

    BENCHMARKS:
    \(Benchmark.all.map { "  \($0.name)  \($0.summary)" }.joined(separator: "\n"))
    """

    static func run(_ args: inout Arguments) throws {
        // Only the benchmark's name is taken here: its options are read by the benchmark itself.
        guard let which = args.subcommand() else { print(usage); throw ExitStatus(code: 2) }
        try Benchmark.named(which).run(&args)
    }

    /// `trellis bench NAME --help`.
    static func usage(of which: String) throws -> String { try Benchmark.named(which).usage }
}

import Foundation
import CLISupport

/// A `trellis` subcommand.
protocol Command {
    /// The word typed after `trellis`.
    static var name: String { get }
    /// One line for `trellis --help`.
    static var summary: String { get }
    /// The full usage text printed by `trellis NAME --help`.
    static var usage: String { get }
    /// Runs the command; throws to report a failure (exit status 1 unless the error says otherwise).
    static func run(_ args: inout Arguments) throws
}

/// Every command the executable knows, in `--help` order. Add new commands here.
let allCommands: [Command.Type] = [
    RunCommand.self, PlanCommand.self, GraphCommand.self, StagesCommand.self, CleanCommand.self, ExecShardCommand.self,
    BenchCommand.self,
    TokenizeCommand.self,
    ValidateCommand.self,
    NewsGraphCommand.self,
    AlignCommand.self,
    ForwardCommand.self,
    EmbedCommand.self, ScoreCommand.self, GenerateCommand.self,
    PromptAlignCommand.self,
    PromptAlignReportCommand.self,
]

/// Version of the `trellis` executable; also part of every stage's cache key.
let trellisVersion = "0.1.0"

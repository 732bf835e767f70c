import Foundation
import PipelineEngine
import PromptAlign
import ProteinLM
import SequenceStages
import CLISupport

/// The stage registry the pipeline commands use: the engine's generic stages, then each app's stages.
/// Apps add a line here (e.g. `ProteinLMStages.register(in: r)`); the engine itself never imports them.
enum StageCatalog {
    static func registry() -> StageRegistry {
        let r = StageRegistry.withGenericStages()
        SequenceStages.register(in: r)
        PromptAlignStages.register(in: r)
        ProteinLMStages.register(in: r)
        PretrainStage.register(in: r)
        PerplexityStage.register(in: r)
        return r
    }
}

/// Options shared by run, plan, graph and clean.
struct PipelineOptions {
    var overrides: [String]
    var workDirectory: URL
    var projectDirectory: URL
    var deep: Bool

    static let usage = """
      -p key=value       override a spec parameter (repeatable)
      --work-dir DIR     work directory (default: .trellis in the current directory)
      --deep             digest every input file's content instead of trusting size+mtime
    """

    init(_ args: inout Arguments) throws {
        overrides = try args.options("p")
        projectDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let dir = try args.option("work-dir") ?? ".trellis"
        workDirectory = dir.hasPrefix("/") ? URL(fileURLWithPath: dir) : projectDirectory.appendingPathComponent(dir)
        deep = args.flag("deep")
    }

    /// Loads and validates a spec; spec errors are printed as `file:line:column: message` lines.
    func load(_ path: String) throws -> Pipeline {
        do {
            return try PipelineLoader(registry: StageCatalog.registry(), projectDirectory: projectDirectory)
                .load(path: path, overrides: overrides)
        } catch let e as PipelineError {
            print(e.description, to: &standardError)
            throw ExitStatus(code: 1)
        }
    }
}

/// The single positional SPEC argument.
func specArgument(_ args: inout Arguments, usage: String) throws -> String {
    let pos = try args.positionals()
    guard pos.count == 1 else {
        print(usage, to: &standardError)
        throw ExitStatus(code: 2)
    }
    return pos[0]
}

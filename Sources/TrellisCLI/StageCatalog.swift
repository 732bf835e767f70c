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

    /// Their schema: `-p` is `overrides`, repeatable, each value kept whole (`-p ks=[16,32]`).
    static let parameters = [
        ParameterSpec("overrides", .list(.string), doc: "key=value: override a spec parameter"),
        ParameterSpec("work_dir", .path, default: .string(".trellis"), doc: "work directory (cache, runs, logs)"),
        ParameterSpec("deep", .bool, default: .bool(false), doc: "digest every input file's content instead of trusting size+mtime"),
    ]

    /// A pipeline command's schema: these options, then the command's own.
    static func schema(_ own: [ParameterSpec] = [],
                       check: @escaping (TypedParameters) -> [(parameter: String, message: String)] = { _ in [] }) -> OptionSchema {
        OptionSchema(parameters + own, renames: ["p": "overrides"], repeated: ["overrides"], check: check)
    }

    init(_ p: TypedParameters) {
        overrides = p.strings("overrides")
        projectDirectory = p.projectDirectory
        workDirectory = p.resolve(p.string("work_dir") ?? ".trellis")
        deep = p.bool("deep") == true
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

/// The single positional SPEC argument and the typed options of a pipeline command.
func specArgument(_ args: inout Arguments, schema: OptionSchema) throws -> (spec: String, options: TypedParameters) {
    let values = try schema.read(&args)
    let spec = try args.positionals(["SPEC"])[0]
    try args.finish()
    return (spec, try schema.typed(values))
}

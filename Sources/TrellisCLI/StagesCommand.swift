import Foundation
import PipelineEngine
import CLISupport

/// `trellis stages`: every registered stage type with its parameters and outputs.
enum StagesCommand: Command {
    static let name = "stages"
    static let summary = "list the stage types a spec can use, with their parameters"
    static let usage = """
    USAGE: trellis stages [NAME]

    Lists every stage type (or just NAME): its version, parameters (type, default, required) and outputs.
    """

    static func run(_ args: inout Arguments) throws {
        let pos = try args.positionals()
        try args.finish()
        let registry = StageCatalog.registry()
        var types = registry.all
        if let name = pos.first {
            guard let t = registry.type(named: name) else {
                print("trellis stages: unknown stage type '\(name)'" + EditDistance.hint(for: name, among: registry.names), to: &standardError)
                throw ExitStatus(code: 1)
            }
            types = [t]
        }
        var out = ""
        for t in types {
            out += "\(t.name) (version \(t.version)) — \(t.summary)\n"
            let width = (t.parameters.map(\.name.count).max() ?? 0) + 2
            for p in t.parameters {
                var tail = p.required ? "required" : p.defaultValue.map { "default \($0.text.isEmpty ? $0.canonicalJSON : $0.text)" } ?? "optional"
                tail = "\(p.type), " + tail
                out += "    " + p.name.padding(toLength: width, withPad: " ", startingAt: 0) + p.doc + " [\(tail)]\n"
            }
            if !t.outputs.isEmpty {
                out += "  outputs: " + t.outputs.map { "\($0.name) (\($0.doc))" }.joined(separator: "; ") + "\n"
            }
            out += "\n"
        }
        print(out, terminator: "")
    }
}

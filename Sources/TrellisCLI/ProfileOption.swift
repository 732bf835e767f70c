import Foundation
import PipelineEngine
import Tensors
import CLISupport

/// `--profile` and `--profile-json PATH` of `forward`, `embed` and `score`: wall time per operation class,
/// printed as a table on stderr at the end of the run and, with `--profile-json`, written as JSON to PATH.
struct ProfileOption {
    /// The options, for a command's schema (`profile` is the protein stages' own parameter, so embed and
    /// score keep the stage's doc and only add `profile_json`).
    static let profile = ParameterSpec("profile", .bool, default: .bool(false),
        doc: "print wall time per operation class at the end (stderr): gemm, attention, softmax, norms, activations, "
            + "rotary, copies/layout, tokenization, io, other, unaccounted, and idle thread time of parallel regions")
    static let profileJSON = ParameterSpec("profile_json", .outputPath, doc: "also write that profile as JSON to FILE (implies --profile)")

    let enabled: Bool
    let jsonPath: String?

    init(_ p: TypedParameters) throws {
        jsonPath = p.string("profile_json")
        if let path = jsonPath, path.isEmpty { throw ArgumentError.badValue("--profile-json", path) }
        enabled = p.bool("profile") == true || jsonPath != nil
    }

    /// Turns profiling on (zeroed) when asked; nil otherwise.
    func start() -> ProfileSession? { enabled ? ProfileSession() : nil }

    /// Prints the table and writes the JSON of a started session.
    func finish(_ session: ProfileSession?) throws {
        guard let session else { return }
        let report = session.finish()
        print(report.table(), to: &standardError)
        if let jsonPath {
            do { try report.json().write(to: URL(fileURLWithPath: jsonPath), options: .atomic) } catch {
                throw ArgumentError.badValue("--profile-json", "\(jsonPath) (cannot write: \(error.localizedDescription))")
            }
        }
    }
}

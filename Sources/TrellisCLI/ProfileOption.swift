import Foundation
import Tensors
import CLISupport

/// `--profile` and `--profile-json PATH` of `forward`, `embed` and `score`: wall time per operation class,
/// printed as a table on stderr at the end of the run and, with `--profile-json`, written as JSON to PATH.
struct ProfileOption {
    static let usage = """
      --profile              print wall time per operation class at the end (stderr): gemm, attention,
                             softmax, norms, activations, rotary, copies/layout, tokenization, model load,
                             io, other, unaccounted, and idle thread time of parallel regions
      --profile-json PATH    also write that profile as JSON to PATH (implies --profile)
    """

    let enabled: Bool
    let jsonPath: String?

    init(_ args: inout Arguments) throws {
        let flag = args.flag("profile")
        jsonPath = try args.option("profile-json")
        if let p = jsonPath, p.isEmpty { throw ArgumentError.badValue("--profile-json", p) }
        enabled = flag || jsonPath != nil
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

import Foundation
import Formats
import PipelineEngine
import Tensors

/// `profile: true` on protein.embed and protein.score: wall time per operation class of the stage's run,
/// logged as a table and published as the `profile` output (profile.json, as `trellis embed --profile-json`).
extension ProteinLMStages {
    static let profileParameter = ParameterSpec("profile", .bool, default: .bool(false),
        doc: "time the run per operation class (gemm, attention, norms, …, idle threads): table in the log, JSON in output 'profile'")
    static let profileOutput = OutputSpec("profile",
        doc: "profile.json with profile: true: wall seconds per operation class, unaccounted, idle threads (sharded: {\"shards\": [...]})")

    /// The outputs of a stage with the profile output only when `profile: true`.
    static func outputs(_ declared: [OutputSpec], _ p: TypedParameters) -> [String] {
        declared.map(\.name).filter { $0 != profileOutput.name || p.bool(profileParameter.name) == true }
    }

    /// Runs `body`, profiled when the stage asks for it. The profiler is process-wide: stages running at the
    /// same time in this process are counted too (run a profiled stage alone, or sharded, for clean figures).
    static func profiled(_ context: StageContext, _ body: () throws -> Void) throws {
        guard context.parameters.bool(profileParameter.name) == true else { return try body() }
        let session = ProfileSession()
        do { try body() } catch { _ = session.finish(); throw error }
        let report = session.finish()
        context.log(report.table())
        try JSONWriter.write(report.jsonValue, to: context.output(profileOutput.name, file: "profile.json").path, pretty: true)
    }

    /// Joins shard profiles into {"shards": [profile, …]} in shard order.
    static func gatherProfiles(_ shards: [URL], to destination: URL) throws {
        let list = try shards.map { try JSONReader.read(path: $0.path) }
        try JSONWriter.write(JSONValue(["shards": JSONValue(list)]), to: destination.path, pretty: true)
    }
}

import Foundation

/// A validated pipeline: every stage type known, every parameter typed or deferred until its upstream has
/// run, every reference pointing at a real stage and output, and no cycle.
public struct Pipeline: Sendable {
    /// The spec file as the user named it.
    public var file: String
    /// `name:` from the spec, or the file's name without extension.
    public var name: String
    public var stages: [PipelineStage]
    /// Stage index by id.
    public var index: [String: Int]
    /// Stage indices in an order where every stage comes after its dependencies.
    public var order: [Int]

    public func stage(_ id: String) -> PipelineStage? { index[id].map { stages[$0] } }
}

/// One stage of a validated pipeline.
public struct PipelineStage: Sendable {
    public var id: String
    public var location: SourceLocation
    public var type: StageType
    /// Parameters as written, after `${params.*}` substitution (stage references still symbolic).
    public var raw: [String: RawValue]
    /// Parameters typed by the schema, defaults filled in; parameters that reference other stages are
    /// typed just before the stage runs and are absent here.
    public var typed: [String: ParameterValue]
    /// Names of parameters holding `${stages.*}` references.
    public var deferred: [String]
    /// Indices of stages this one waits for (`needs` and references), sorted.
    public var dependencies: [Int]
    /// Indices named in `needs` (a subset of `dependencies`).
    public var needs: [Int]
    /// Extra attempts after a failure.
    public var retries: Int
    /// Output names, known before running.
    public var outputs: [String]
}

import Foundation
import Formats

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
    /// Stage indices by the name written in the spec: one per plain stage, every instance (in matrix
    /// order) of a `matrix:` stage.
    public var groups: [String: [Int]] = [:]
    /// Stage indices in an order where every stage comes after its dependencies.
    public var order: [Int]
    /// `executor:` from the spec (`local` or `slurm`), nil when absent.
    public var executor: String? = nil
    /// The spec's `params:` in spec order, with `-p` overrides applied, as written.
    public var parameters: [(name: String, value: String)] = []
    /// The `-p key=value` arguments the pipeline was loaded with.
    public var overrides: [String] = []

    public func stage(_ id: String) -> PipelineStage? { index[id].map { stages[$0] } }
}

/// One stage of a validated pipeline; a `matrix:` stage becomes one per combination of its values.
public struct PipelineStage: Sendable {
    /// The stage's name as written, or for an instance of a `matrix:` stage the name and its values:
    /// `finetune[K=16]`, `train[K=16,seed=1]`.
    public var id: String
    /// The name as written in the spec (`finetune`); equals `id` for a stage without `matrix:`.
    public var name: String
    /// This instance's `matrix:` values in the order the keys are written; empty without `matrix:`.
    public var matrix: [MatrixBinding] = []
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
    /// What each stage name referenced in `${stages.NAME.outputs.x}` stands for.
    public var referenceTargets: [String: ReferenceTarget] = [:]
    /// Extra attempts after a failure.
    public var retries: Int
    /// Output names, known before running.
    public var outputs: [String]
    /// `shards: N` from the spec (record-mapping stages only).
    public var shards: Int? = nil
    /// `resources:` from the spec: what each shard asks a cluster for.
    public var resources = ShardResources()
}

/// One `key: value` of a matrix stage instance.
public struct MatrixBinding: Hashable, Sendable {
    public var key: String
    public var value: String

    /// `key: value`, as written in the spec.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The stages a `${stages.NAME.outputs.x}` reference reads: one stage (a plain stage, or the instance of a
/// matrix stage with the referencing stage's values), or every matching instance gathered into a list.
public struct ReferenceTarget: Hashable, Sendable {
    /// Stage indices, in matrix order.
    public var stages: [Int]
    /// Their ids, in the same order.
    public var ids: [String]
    /// True when the reference stands for the list of the instances' outputs.
    public var gathers: Bool

    /// A target over `stages` (indices into `Pipeline.stages`) whose ids are `ids`.
    public init(stages: [Int], ids: [String], gathers: Bool) {
        self.stages = stages
        self.ids = ids
        self.gathers = gathers
    }
}

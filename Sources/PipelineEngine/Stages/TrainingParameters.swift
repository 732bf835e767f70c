import Foundation

/// The options the training stages share (`protein.pretrain`, `mlm.adapt`): one name, type, doc, check and
/// reading for each, so they mean the same in every stage. A stage gives its own defaults as a value of
/// this type; nil `warmup` / `learningRate` mean the stage's own rule, which its `notes` explain.
public struct TrainingParameters: Sendable {
    public var steps: Int
    public var warmup: Int?
    public var learningRate: Double?
    public var weightDecay: Double
    public var dropout: Double
    public var heldOutFraction: Double
    public var evalEvery: Int
    public var seed: UInt64 = 0
    public var maxMinutes: Double? = nil

    public init(steps: Int, warmup: Int?, learningRate: Double?, weightDecay: Double = 0.01, dropout: Double,
                heldOutFraction: Double, evalEvery: Int) {
        self.steps = steps; self.warmup = warmup; self.learningRate = learningRate; self.weightDecay = weightDecay
        self.dropout = dropout; self.heldOutFraction = heldOutFraction; self.evalEvery = evalEvery
    }

    /// The specs of the shared options with these values as defaults; `notes[name]` is added to that doc.
    public func specs(notes: [String: String] = [:]) -> [ParameterSpec] {
        func spec(_ name: String, _ type: ParameterType, _ value: ParameterValue?, _ doc: String) -> ParameterSpec {
            ParameterSpec(name, type, default: value, doc: notes[name].map { "\(doc) (\($0))" } ?? doc)
        }
        return [
            spec("steps", .int, .int(steps), "optimiser steps"),
            spec("warmup", .int, warmup.map { .int($0) }, "linear warm-up steps, then linear decay"),
            spec("lr", .float, learningRate.map { .float($0) }, "peak learning rate"),
            spec("weight_decay", .float, .float(weightDecay), "AdamW decoupled weight decay (matrices only)"),
            spec("dropout", .float, .float(dropout), "dropout while training"),
            spec("heldout_fraction", .float, .float(heldOutFraction), "every round(1/f)-th record is held out"),
            spec("eval_every", .int, .int(evalEvery), "steps between held-out evaluations"),
            spec("seed", .int, .int(0), "seed of initialisation, data order, masking and dropout"),
            spec("max_minutes", .float, nil,
                 "stop (and save) after this much training time; the schedule is not shortened (resume to finish)"),
        ]
    }

    /// These defaults overridden by the values `p` gives.
    public func reading(_ p: TypedParameters) -> TrainingParameters {
        var t = self
        t.steps = p.int("steps") ?? steps
        t.warmup = p.int("warmup") ?? warmup
        t.learningRate = p.double("lr") ?? learningRate
        t.weightDecay = p.double("weight_decay") ?? weightDecay
        t.dropout = p.double("dropout") ?? dropout
        t.heldOutFraction = p.double("heldout_fraction") ?? heldOutFraction
        t.evalEvery = p.int("eval_every") ?? evalEvery
        t.seed = UInt64(truncatingIfNeeded: p.int("seed") ?? 0)
        t.maxMinutes = p.double("max_minutes") ?? maxMinutes
        return t
    }

    /// What is wrong with the shared options `p` gives (empty when nothing is).
    public static func problems(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out: [(String, String)] = []
        for key in ["steps", "eval_every"] {
            if let v = p.int(key), v < 1 { out.append((key, "must be at least 1")) }
        }
        if let v = p.int("warmup"), v < 0 { out.append(("warmup", "must be at least 0")) }
        if let v = p.double("lr"), !(v > 0) { out.append(("lr", "must be positive")) }
        if let v = p.double("weight_decay"), !(v >= 0) { out.append(("weight_decay", "must be at least 0")) }
        if let v = p.double("dropout"), !(0..<1).contains(v) { out.append(("dropout", "must be in [0, 1)")) }
        if let v = p.double("heldout_fraction"), !(0..<1).contains(v) { out.append(("heldout_fraction", "must be in [0, 1)")) }
        if let v = p.double("max_minutes"), !(v > 0) { out.append(("max_minutes", "must be positive")) }
        return out
    }
}

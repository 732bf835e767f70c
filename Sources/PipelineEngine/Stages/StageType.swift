import Foundation

/// One parameter of a stage type's schema.
public struct ParameterSpec: Sendable {
    public var name: String
    public var type: ParameterType
    /// Used when the spec omits the parameter; nil with `required == false` means "absent".
    public var defaultValue: ParameterValue?
    public var required: Bool
    /// One line for `trellis stages`.
    public var doc: String

    public init(_ name: String, _ type: ParameterType, default defaultValue: ParameterValue? = nil,
                required: Bool = false, doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.doc = doc
    }
}

/// An output a stage type declares (referenced as `${stages.<id>.outputs.<name>}`).
public struct OutputSpec: Sendable {
    public var name: String
    public var doc: String
    public init(_ name: String, doc: String) {
        self.name = name
        self.doc = doc
    }
}

/// A kind of stage (`shell`, `fasta.filter`, `protein.embed`, …). Apps implement it and register it in a
/// `StageRegistry`; the engine never knows what a stage computes.
public protocol StageType: Sendable {
    /// The name written after `uses:`.
    var name: String { get }
    /// Implementation version; bump it when outputs would change for the same inputs (part of the cache key).
    var version: Int { get }
    /// One line for `trellis stages`.
    var summary: String { get }
    var parameters: [ParameterSpec] { get }
    var outputs: [OutputSpec] { get }

    /// Output names for these parameters; defaults to `outputs`. Stages whose outputs depend on
    /// parameters (e.g. `shell`) override it.
    func declaredOutputs(_ parameters: TypedParameters) -> [String]

    /// Extra checks of the typed parameters; each returned pair names the parameter and the problem.
    func validate(_ parameters: TypedParameters) -> [(parameter: String, message: String)]

    /// Files of a `model` parameter's directory that make its digest (config, weights, tokenizer).
    func modelFiles(in directory: URL) -> [URL]

    /// Does the work. Throw to fail; files written so far are removed.
    func run(_ context: StageContext) throws
}

extension StageType {
    public func declaredOutputs(_ parameters: TypedParameters) -> [String] { outputs.map(\.name) }
    public func validate(_ parameters: TypedParameters) -> [(parameter: String, message: String)] { [] }
    public func modelFiles(in directory: URL) -> [URL] { ModelDigest.defaultFiles(in: directory) }

    /// The schema entry for `name`.
    public func parameter(_ name: String) -> ParameterSpec? { parameters.first { $0.name == name } }
}

/// Thrown by stages for a failure the user can act on.
public struct StageError: Error, CustomStringConvertible {
    public var message: String
    /// A child process's exit status, when that is what failed.
    public var exitStatus: Int?
    public init(_ message: String, exitStatus: Int? = nil) {
        self.message = message
        self.exitStatus = exitStatus
    }
    public var description: String { message }
}

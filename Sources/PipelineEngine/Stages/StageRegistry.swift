/// The stage types a pipeline may use, filled by the executable at start-up (the engine imports no app).
public final class StageRegistry: @unchecked Sendable {
    private var types: [String: StageType] = [:]
    private var order: [String] = []

    public init() {}

    /// A registry holding the engine's generic stages (`shell`, `table.write`).
    public static func withGenericStages() -> StageRegistry {
        let r = StageRegistry()
        for t in GenericStages.all { r.register(t) }
        return r
    }

    /// Adds a stage type; a later registration of the same name replaces the earlier one.
    public func register(_ type: StageType) {
        if types[type.name] == nil { order.append(type.name) }
        types[type.name] = type
    }

    public func type(named name: String) -> StageType? { types[name] }

    /// Registered names in registration order.
    public var names: [String] { order }

    /// Registered types sorted by name.
    public var all: [StageType] { order.sorted().map { types[$0]! } }
}

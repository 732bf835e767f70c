/// Namespace for module-wide constants of `Transformers`.
public enum TransformersModule {
    /// Implementation version; part of the cache key of every stage built on this module.
    public static let version = "0.1.0"
}

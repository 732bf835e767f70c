/// Namespace for module-wide constants of `PromptAlign`.
public enum PromptAlignModule {
    /// Implementation version; part of the cache key of every stage built on this module.
    public static let version = "0.1.0"
}

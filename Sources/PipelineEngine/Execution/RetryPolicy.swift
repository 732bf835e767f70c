import Foundation

/// How a failed stage or task runs again: up to `retries` more attempts after the first, every failure but
/// the last noted with what happens next. The one rule for stages run whole in this process (`StageJob`),
/// tasks of `LocalExecutor` and resubmissions of `SlurmExecutor`.
public struct RetryPolicy: Sendable, Equatable {
    /// Extra attempts after a failure (a stage's `retries`).
    public var retries: Int

    public init(retries: Int) {
        self.retries = max(0, retries)
    }

    /// No second attempt: for a stage whose tasks the executor retries one by one.
    public static let once = RetryPolicy(retries: 0)

    public var attempts: Int { retries + 1 }

    /// Whether a failure of `attempt` (1-based) is followed by another attempt.
    public func retries(after attempt: Int) -> Bool { attempt < attempts }

    /// The line noted for a failure of `attempt` of `what` that is followed by another attempt.
    public func failureNote(_ what: String, attempt: Int, error: String, next: String = "retrying") -> String {
        "\(what) failed (attempt \(attempt) of \(attempts)): \(error); \(next)"
    }

    /// Calls `body(attempt)` for attempt = 1, 2, … until it returns or the attempts are used up. Each failure
    /// goes to `failed(attempt, error)`, which gives its text for the note. Returns the value, or nil when
    /// every attempt failed.
    public func run<T>(_ what: String, note: (String) -> Void, _ body: (Int) throws -> T,
                       failed: (Int, Error) -> String) -> T? {
        for attempt in 1...attempts {
            do {
                return try body(attempt)
            } catch {
                let text = failed(attempt, error)
                if retries(after: attempt) { note(failureNote(what, attempt: attempt, error: text)) }
            }
        }
        return nil
    }
}

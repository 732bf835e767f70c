import Foundation

/// One progress report of a task (a stage, or a CLI command's work): how far it is, in what unit, and the
/// training loss when there is one.
public struct ProgressUpdate: Sendable, Equatable {
    public var done: Int
    /// Nil when not known up front (shown as a count).
    public var total: Int?
    /// What is counted, plural (`sequences`, `steps`, `articles`); nil for plain items.
    public var unit: String?
    /// The current training loss, for training tasks.
    public var loss: Double?

    public init(done: Int, total: Int? = nil, unit: String? = nil, loss: Double? = nil) {
        self.done = done
        self.total = total
        self.unit = unit
        self.loss = loss
    }
}

/// The text of one progress report: `[embed] 16/2100 sequences 63.1/s ETA 33s`,
/// `[finetune] 3/6 epochs loss 0.512`; on a terminal with a bar before the counts.
public struct ProgressLine: Sendable {
    public var label: String
    public var update: ProgressUpdate
    /// Items per second, nil before it can be measured.
    public var rate: Double?
    /// Seconds since the task started.
    public var elapsed: Double

    public init(label: String, update: ProgressUpdate, rate: Double?, elapsed: Double) {
        self.label = label
        self.update = update
        self.rate = rate
        self.elapsed = elapsed
    }

    /// Seconds left at the current rate, when the total is known.
    public var eta: Double? {
        guard let total = update.total, let rate, rate > 0, update.done < total else { return nil }
        return Double(total - update.done) / rate
    }

    /// The report without a bar (logs, pipes, plain terminals).
    public var plain: String { "[\(label)] " + counts }

    /// The report with a bar of `width` cells (a terminal); without a total it is the plain report.
    public func bar(width: Int = 24) -> String {
        guard let total = update.total, total > 0 else { return plain }
        let fraction = min(1, max(0, Double(update.done) / Double(total)))
        let full = Int((fraction * Double(width)).rounded(.down))
        return "[\(label)] " + String(repeating: "█", count: full) + String(repeating: "░", count: width - full)
            + String(format: " %3d%% ", Int(fraction * 100)) + counts
    }

    var counts: String {
        var s = update.total.map { "\(update.done)/\($0)" } ?? "\(update.done)"
        if let unit = update.unit { s += " " + unit } else if update.total == nil { s += " done" }
        if let rate, rate > 0 { s += " " + Self.rate(rate) }
        if let eta { s += " ETA " + Self.duration(eta) }
        if let loss = update.loss, loss.isFinite { s += String(format: " loss %.3f", loss) }
        if update.done == 0 && rate == nil && update.total == nil { s = "running " + Self.duration(elapsed) }
        return s
    }

    /// `63.1/s`, `1234/s`, or `12.0/min` for slow tasks.
    static func rate(_ r: Double) -> String {
        if r >= 1000 { return String(format: "%.0f/s", r) }
        if r >= 0.5 { return String(format: "%.1f/s", r) }
        return String(format: "%.1f/min", r * 60)
    }

    /// `33s`, `4m05s`, `2h03m`; `>999h` past that (an ETA at a rate near zero).
    public static func duration(_ seconds: Double) -> String {
        guard seconds < 999 * 3600 else { return ">999h" }
        let s = seconds.isNaN ? 0 : Int(max(0, seconds).rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}

/// The rate of a task measured from its first report, so work a resumed task had already done (and its
/// start-up time) does not inflate the rate or shrink the ETA.
struct RateClock: Sendable {
    var started: Double
    var first: (done: Int, time: Double)?

    init(started: Double) { self.started = started }

    mutating func rate(done: Int, now: Double) -> Double? {
        if first == nil { first = (done, now) }
        if let f = first, done > f.done, now > f.time { return Double(done - f.done) / (now - f.time) }
        // Until a second report: from the start.
        return done > 0 && now > started ? Double(done) / (now - started) : nil
    }
}

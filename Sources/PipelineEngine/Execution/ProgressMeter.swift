import Foundation

/// Progress of one long task of a CLI command (embedding a proteome, fine-tuning): on a terminal a bar
/// redrawn in place at most 10 times a second; otherwise a plain line at most every `plainInterval` seconds
/// and one at the end.
public final class ProgressMeter: @unchecked Sendable {
    let label: String
    let style: ProgressStyle
    let write: @Sendable (String) -> Void
    let clock: @Sendable () -> Double
    /// Seconds between plain lines.
    public var plainInterval = 5.0
    private var update: ProgressUpdate
    private var rate: RateClock
    private var lastRate: Double?
    private var lastDrawn = -Double.infinity
    private var drewLive = false
    /// The last plain line written, so the closing line does not repeat it.
    private var lastPlain: String?
    private var finished = false
    private let lock = NSLock()

    /// A meter for `unit` (plural: `sequences`) counting towards `total` when known up front; it writes to
    /// `write` (default: stderr) and reads the time from `clock` (seconds).
    public init(label: String, unit: String?, total: Int? = nil, style: ProgressStyle = .automatic(),
                write: @escaping @Sendable (String) -> Void = { _ = DescriptorWrite.all(2, $0) },
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.label = label
        self.style = style
        self.write = write
        self.clock = clock
        update = ProgressUpdate(done: 0, total: total, unit: unit)
        rate = RateClock(started: clock())
    }

    /// Records progress; draws when the style's rate limit allows. `total` nil keeps the known total.
    public func report(done: Int, total: Int? = nil, loss: Double? = nil) {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        let now = clock()
        update.done = done
        if let total { update.total = total }
        if let loss { update.loss = loss }
        lastRate = rate.rate(done: done, now: now) ?? lastRate
        switch style {
        case .live where now - lastDrawn >= 0.1:
            lastDrawn = now
            drewLive = true
            write("\r\u{1B}[2K" + line(now).bar())
        case .plain where now - lastDrawn >= plainInterval:
            lastDrawn = now
            lastPlain = line(now).plain
            write(line(now).plain + "\n")
        default: break
        }
    }

    /// The closing line (the final counts, rate and loss); later reports are ignored.
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        let now = clock()
        switch style {
        case .live: write("\r\u{1B}[2K" + line(now).bar() + "\n")
        case .plain where line(now).plain != lastPlain: write(line(now).plain + "\n")
        case .plain, .quiet: break
        }
    }

    func line(_ now: Double) -> ProgressLine {
        ProgressLine(label: label, update: update, rate: lastRate, elapsed: now - rate.started)
    }
}

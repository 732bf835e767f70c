import Foundation

/// How a run shows progress on stderr.
public enum ProgressStyle: Sendable {
    /// A live line per running stage, redrawn in place (a terminal without NO_COLOR).
    case live
    /// Plain lines: start, finish, and a progress line at most every few seconds per stage.
    case plain
    /// Only failures.
    case quiet

    /// `.live` on a terminal unless NO_COLOR is set or TERM is dumb; `.plain` otherwise.
    public static func automatic() -> ProgressStyle {
        let env = ProcessInfo.processInfo.environment
        if isatty(2) == 1 && env["NO_COLOR"] == nil && env["TERM"] != "dumb" { return .live }
        return .plain
    }
}

/// Progress of running stages: done/total, rate and ETA per stage.
final class ProgressBoard: @unchecked Sendable {
    struct Entry {
        var stage: String
        var started: Double
        var done = 0
        var total: Int?
        var lastPlain = 0.0
        /// The first report: the rate is measured from it, so work a resumed stage had already done (and its
        /// start-up time) does not inflate the rate or shrink the ETA.
        var first: (done: Int, time: Double)?
    }
    let style: ProgressStyle
    private var running: [String: Entry] = [:]
    private var order: [String] = []
    private let lock = NSLock()
    private var drawnLines = 0
    private var timer: DispatchSourceTimer?
    private let out = FileHandle.standardError

    init(style: ProgressStyle) {
        self.style = style
        if style == .live {
            let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
            t.schedule(deadline: .now() + 0.25, repeating: 0.25)
            t.setEventHandler { [weak self] in self?.redraw() }
            t.resume()
            timer = t
        }
    }

    func stop() {
        timer?.cancel()
        lock.lock(); clearLive(); lock.unlock()
    }

    func started(_ stage: String) {
        lock.lock(); defer { lock.unlock() }
        running[stage] = Entry(stage: stage, started: ResourceUsage.now())
        order.append(stage)
        if style == .plain { emit("[\(stage)] started") }
    }

    func update(_ stage: String, done: Int, total: Int?) {
        lock.lock(); defer { lock.unlock() }
        guard var e = running[stage] else { return }
        e.done = done
        e.total = total
        let now = ResourceUsage.now()
        if e.first == nil { e.first = (done, now) }
        if style == .plain && now - e.lastPlain >= 5 {
            e.lastPlain = now
            emit("[\(stage)] " + Self.describe(e, now: now))
        }
        running[stage] = e
    }

    /// A permanent line (stage finished, cached, failed, retrying).
    func note(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        if style != .quiet { emit(line) }
    }

    func finished(_ stage: String, line: String) {
        lock.lock(); defer { lock.unlock() }
        running[stage] = nil
        order.removeAll { $0 == stage }
        if style != .quiet { emit(line) }
    }

    static func describe(_ e: Entry, now: Double) -> String {
        let elapsed = max(now - e.started, 1e-3)
        var s = String(format: "%.1fs", elapsed)
        guard e.done > 0 || e.total != nil else { return "running " + s }
        var rate = Double(e.done) / elapsed
        if let f = e.first, e.done > f.done, now > f.time { rate = Double(e.done - f.done) / (now - f.time) }
        if let total = e.total, total > 0 {
            let pct = Int(100 * Double(e.done) / Double(total))
            s = "\(e.done)/\(total) (\(pct)%) " + String(format: "%.1f/s", rate)
            if rate > 0 && e.done < total { s += String(format: ", ETA %.0fs", Double(total - e.done) / rate) }
        } else {
            s = "\(e.done) done " + String(format: "%.1f/s", rate)
        }
        return s
    }

    // Must hold the lock.
    private func emit(_ line: String) {
        clearLive()
        DescriptorWrite.all(out.fileDescriptor, line + "\n")
        if style == .live { drawLive() }
    }

    private func clearLive() {
        guard drawnLines > 0 else { return }
        DescriptorWrite.all(out.fileDescriptor, String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines))
        drawnLines = 0
    }

    private func drawLive() {
        let now = ResourceUsage.now()
        var text = ""
        for s in order.prefix(20) {
            guard let e = running[s] else { continue }
            text += "\u{1B}[2K  \u{1B}[36m\(s)\u{1B}[0m " + Self.describe(e, now: now) + "\n"
        }
        drawnLines = min(order.count, 20)
        DescriptorWrite.all(out.fileDescriptor, text)
    }

    private func redraw() {
        lock.lock(); defer { lock.unlock() }
        clearLive()
        drawLive()
    }
}

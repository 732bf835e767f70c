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

/// Progress of running stages: done/total with unit, rate, ETA and loss per stage.
final class ProgressBoard: @unchecked Sendable {
    struct Entry {
        var stage: String
        var update = ProgressUpdate(done: 0)
        var rate: RateClock
        var lastRate: Double?
        var lastPlain = 0.0
    }
    let style: ProgressStyle
    /// Seconds between a stage's plain progress lines.
    var plainInterval = 5.0
    private var running: [String: Entry] = [:]
    private var order: [String] = []
    private let lock = NSLock()
    private var drawnLines = 0
    private var timer: DispatchSourceTimer?
    private let out = FileHandle.standardError

    init(style: ProgressStyle) {
        self.style = style
        if style == .live {
            // At most 10 redraws a second: smooth enough, and cheap over a slow terminal link.
            let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
            t.schedule(deadline: .now() + 0.1, repeating: 0.1)
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
        running[stage] = Entry(stage: stage, rate: RateClock(started: ResourceUsage.now()))
        order.append(stage)
        if style == .plain { emit("[\(stage)] started") }
    }

    func update(_ stage: String, _ update: ProgressUpdate) {
        lock.lock(); defer { lock.unlock() }
        guard var e = running[stage] else { return }
        let now = ResourceUsage.now()
        e.update = update
        e.lastRate = e.rate.rate(done: update.done, now: now) ?? e.lastRate
        if style == .plain && now - e.lastPlain >= plainInterval {
            e.lastPlain = now
            emit(Self.line(e, now: now).plain)
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

    static func line(_ e: Entry, now: Double) -> ProgressLine {
        ProgressLine(label: e.stage, update: e.update, rate: e.lastRate, elapsed: now - e.rate.started)
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
            text += "\u{1B}[2K  " + Self.line(e, now: now).bar() + "\n"
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

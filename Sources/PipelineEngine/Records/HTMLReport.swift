import Foundation
import Plots

/// Who ran a pipeline, how and where: shown in the run report.
public struct RunInvocation: Sendable {
    /// The command line as typed (default: this process's arguments).
    public var commandLine: [String] = ProcessInfo.processInfo.arguments
    /// The trellis version, when the caller knows it.
    public var version: String?
    public var host: String = ProcessInfo.processInfo.hostName

    public init(commandLine: [String] = ProcessInfo.processInfo.arguments, version: String? = nil) {
        self.commandLine = commandLine
        self.version = version
    }
}

/// A self-contained HTML report of one run: a summary (status, duration, key metrics and the main figures)
/// first, then how the run was made (parameters, `-p` overrides, command line, version, host, date), the
/// stage graph, a stage table linking logs and outputs, a timeline, the other figures and tables, and
/// failures. No external assets, so it can be mailed or archived.
struct HTMLReport {
    var pipeline: Pipeline
    var trace: [TraceEntry]
    var failures: [(stage: String, error: String, log: URL)]
    var figures: ReportFigures
    var results: RunResults
    var invocation: RunInvocation
    /// When the run started and ended (seconds since 1970).
    var started: Double
    var ended: Double
    var projectDirectory: URL

    static func escape(_ s: String) -> String { SVG.escape(s) }

    /// `succeeded`, `failed` or `incomplete` (stages skipped or cancelled without a failure).
    var status: String {
        if !failures.isEmpty { return "failed" }
        return trace.contains { $0.status == "cancelled" || $0.status == "skipped" } ? "incomplete" : "succeeded"
    }

    func render() -> String {
        let counts = ["done", "cached", "failed", "skipped", "cancelled"]
            .map { s in (trace.filter { $0.status == s }.count, s) }.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        let main = figures.main, others = figures.others
        var body = "<h1>\(Self.escape(pipeline.name)) <span class=\"status \(status)\">\(status)</span></h1>\n"
        body += "<div class=\"summary\">\(Self.escape(Self.date(started))) · \(Self.duration(ended - started)) wall · "
            + counts.joined(separator: " · ") + "</div>\n"
        body += resultsSection()
        if !main.isEmpty { body += "<h2>Main figures</h2>\n" + ReportFigures.html(main) }
        if !failures.isEmpty { body += failuresSection() }
        body += runSection()
        body += "<h2>Stage graph</h2>\n" + graphSection()
        body += "<h2>Stages</h2>\n" + stageTable()
        body += "<h2>Timeline</h2>\n" + timeline()
        if !others.isEmpty { body += "<h2>Figures and tables</h2>\n" + ReportFigures.html(others) }
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>trellis run: \(Self.escape(pipeline.name))</title>
        <style>
        body{font-family:-apple-system,Helvetica,Arial,sans-serif;margin:2em;color:#222;max-width:1400px}
        table{border-collapse:collapse;margin:.5em 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;font-size:13px;vertical-align:top}
        th{background:#f4f4f4}table.data td{font-variant-numeric:tabular-nums}
        tr.failed td{color:#b52b27}tr.cached td{color:#567}pre{background:#f6f6f6;padding:1em;overflow:auto;max-height:30em}
        .summary{font-size:15px;margin-bottom:1em}.status{font-size:15px;padding:2px 8px;border-radius:4px;vertical-align:middle}
        .status.succeeded{background:#cfe8d6}.status.failed{background:#f4c7c3}.status.incomplete{background:#f3e3b5}
        figure{margin:1.5em 0;overflow-x:auto}figcaption{font-size:13px;margin-bottom:.4em}
        code{font-size:12px}.graph svg{max-width:100%;height:auto}
        </style></head><body>
        \(body)</body></html>

        """
    }

    /// `0.42 s` for short runs, else `33s`, `4m05s`, `2h03m`.
    static func duration(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.2f s", seconds) : ProgressLine.duration(seconds)
    }

    /// `2026-12-06 15:38:19 UTC`.
    static func date(_ seconds: Double) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// A file link: relative paths are resolved against the project directory.
    func link(_ path: String, text: String? = nil) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : projectDirectory.appendingPathComponent(path)
        return "<a href=\"\(Self.escape(url.absoluteString))\">\(Self.escape(text ?? path))</a>"
    }
}

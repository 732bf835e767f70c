import Foundation
import Plots

/// The sections of the run report below its heading.
extension HTMLReport {
    /// Each stage's scalar outputs (accuracy, macro_f1, counts, …) as a table.
    func resultsSection() -> String {
        let rows = results.stages.filter { !$0.scalars.isEmpty }
        guard !rows.isEmpty else { return "" }
        var out = "<h2>Results</h2>\n<table class=\"data\"><tr><th>stage</th><th>outputs</th></tr>\n"
        for s in rows {
            out += "<tr><td>\(Self.escape(s.id))</td><td>"
                + s.scalars.map { "\(Self.escape($0.name)) <b>\(Self.escape(RunResults.format($0.value)))</b>" }.joined(separator: " · ")
                + "</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// Parameters (overridden ones marked), `-p` arguments, command line, version, host, date, spec.
    func runSection() -> String {
        let overridden = Set(pipeline.overrides.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        var out = "<h2>Run</h2>\n<table>"
        func row(_ name: String, _ html: String) { out += "<tr><th>\(Self.escape(name))</th><td>\(html)</td></tr>\n" }
        row("spec", link(pipeline.file))
        row("command line", "<code>" + Self.escape(invocation.commandLine.map(ShellQuoting.quote).joined(separator: " ")) + "</code>")
        row("-p overrides", pipeline.overrides.isEmpty ? "none" : pipeline.overrides.map { "<code>\(Self.escape($0))</code>" }.joined(separator: " "))
        row("trellis version", Self.escape(invocation.version ?? "unknown"))
        row("host", Self.escape(invocation.host) + " · \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
        row("started", Self.escape(Self.date(started)))
        row("project directory", "<code>\(Self.escape(projectDirectory.path))</code>")
        out += "</table>\n"
        if !pipeline.parameters.isEmpty {
            out += "<h3>Parameters</h3>\n<table class=\"data\"><tr><th>name</th><th>value</th><th></th></tr>\n"
            for p in pipeline.parameters {
                out += "<tr><td>\(Self.escape(p.name))</td><td><code>\(Self.escape(p.value))</code></td><td>"
                    + (overridden.contains(p.name) ? "set with -p" : "") + "</td></tr>\n"
            }
            out += "</table>\n"
        }
        return out
    }

    /// Widest stage graph drawn left to right: a 1280 px window less the body's margins and a scrollbar,
    /// with room to spare; wider graphs are drawn top to bottom.
    static let graphWidth = 1150.0

    /// Stages by dependency depth (left to right, or top to bottom when that would not fit), coloured by status.
    func graphSection() -> String {
        guard pipeline.stages.count <= 400 else { return "<p>\(pipeline.stages.count) stages: too many to draw.</p>\n" }
        let status = Dictionary(trace.map { ($0.stage, $0.status) }, uniquingKeysWith: { a, _ in a })
        let fills = ["done": "#cfe8d6", "cached": "#dbe6f0", "failed": "#f4c7c3"]
        let nodes = pipeline.stages.map { s in
            LayeredGraphPlot.Node(title: s.id, subtitle: s.type.name + " · " + (status[s.id] ?? "not run"),
                                  fill: fills[status[s.id] ?? ""] ?? "#eeeeee", dependencies: s.dependencies)
        }
        return "<div class=\"graph\">" + LayeredGraphPlot(nodes: nodes).render(maxWidth: Self.graphWidth).svg + "</div>\n"
    }

    /// One row per stage: status, times, its own peak memory, and links to its log and outputs.
    func stageTable() -> String {
        var out = "<table><tr><th>stage</th><th>type</th><th>status</th><th>wall s</th><th>CPU s</th>"
            + "<th title=\"child processes' peak, or how far this process's resident set rose while the stage ran\">own peak RSS MiB</th>"
            + "<th>attempts</th><th>key</th><th>log</th><th>outputs</th></tr>\n"
        let files = Dictionary(results.stages.map { ($0.id, $0.files) }, uniquingKeysWith: { a, _ in a })
        for e in trace {
            let outputs = (files[e.stage] ?? []).prefix(8).map { link($0, text: PathName.lastComponent($0)) }
            let more = max(0, (files[e.stage]?.count ?? 0) - 8)
            out += "<tr class=\"\(e.status)\"><td>\(Self.escape(e.stage))</td><td>\(Self.escape(e.type))</td><td>\(e.status)</td>"
            out += "<td>\(String(format: "%.3f", e.wall))</td><td>\(String(format: "%.3f", e.cpu))</td>"
            out += "<td>\(String(format: "%.1f", Double(e.peakRSSKB) / 1024))</td><td>\(e.attempts)</td>"
            out += "<td><code>\(Self.escape(e.key.map { String($0.prefix(12)) } ?? ""))</code></td>"
            out += "<td>\(e.log.map { link($0, text: "log") } ?? "")</td>"
            out += "<td>" + outputs.joined(separator: " ") + (more > 0 ? " … \(more) more" : "") + "</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// When each stage ran (up to 2000 stages).
    func timeline() -> String {
        let ran = trace.filter { $0.status == "done" || $0.status == "failed" || $0.status == "cached" }
        guard !ran.isEmpty else { return "<p>No stage ran.</p>\n" }
        let t0 = min(started, ran.map(\.start).min() ?? started)
        let colors = ["failed": "#d9534f", "cached": "#9fb8d0"]
        let bars = ran.sorted { $0.start < $1.start }.prefix(2000).map { e in
            TimelinePlot.Bar(label: e.stage, start: e.start - t0, end: e.end - t0, color: colors[e.status] ?? "#3c8d5a",
                             tooltip: "\(e.stage): \(e.status), \(String(format: "%.3f", e.wall)) s")
        }
        return TimelinePlot(bars: Array(bars)).render().svg
    }

    /// Each failed stage's error and the tail of its log.
    func failuresSection() -> String {
        var out = "<h2>Failures</h2>\n"
        for f in failures {
            let log = LogTail.read(f.log.path, lines: 200, maxBytes: 20000)?.text ?? ""
            out += "<h3>\(Self.escape(f.stage))</h3><p>\(Self.escape(f.error)) · \(link(f.log.path, text: "full log"))</p><pre>\(Self.escape(log))</pre>\n"
        }
        return out
    }
}

import Foundation
import PipelineEngine
import PromptAlign
import CLISupport

/// `trellis news-graph`: the Prompt-and-Align news proximity graph from engagement records (or a prebuilt
/// edge list), written as a `row<TAB>col<TAB>weight` file plus a statistics JSON.
enum NewsGraphCommand: Command {
    static let name = "news-graph"
    static let summary = "build the P&A news proximity graph from user engagement records"
    static let usage = """
    USAGE: trellis news-graph --articles FULL.csv --engagements SOCIAL.csv [--min-user-records 5] --output GRAPH.tsv
                              [--statistics STATS.json]
           trellis news-graph --edge-list PREBUILT.tsv [--nodes N] --output GRAPH.tsv [--statistics STATS.json]

    Builds A_T = D^-1/2 (BᵀB) D^-1/2 exactly as the Prompt-and-Align authors do: users with at least
    --min-user-records records are active, each article without an active user gets a dummy user, B counts
    reposts. Nodes follow the order of FULL.csv (header news_id,…; train articles, then test articles).
    SOCIAL.csv has a header naming sid and uid (sid,label,tid,uid). With --edge-list, a prebuilt weighted
    edge list (header row<TAB>col<TAB>weight) is read, checked and rewritten instead.

    OPTIONS (the news.graph stage's parameters):
    \(schema.usage)

    EXAMPLES:
      trellis news-graph --articles full_train.csv --engagements social.csv --output out/graph.tsv
      trellis news-graph --edge-list fang_graph_16.tsv --output - | head
    """

    /// The command's options: the `news.graph` stage's schema; the outputs are the command's own.
    static let schema = OptionSchema(stage: PromptAlignStages.newsGraphStage, extra: [
        OutputFile.parameter("the graph (row<TAB>col<TAB>weight)"),
        ParameterSpec("statistics", .outputPath, doc: "statistics JSON (default: GRAPH.stats.json beside a file output; none for '-')"),
    ])

    static func run(_ args: inout Arguments) throws {
        let p = try schema.parse(&args)
        let output = p.string("output") ?? "-"
        let destination = try OutputFile(output, suffix: ".tsv")
        defer { destination.discard() }
        let statistics = p.string("statistics") ?? (destination.toStdout ? nil : defaultStatisticsPath(output))
        let graph = try PromptAlignStages.newsGraph(p)
        try graph.writeEdgeList(to: destination.url)
        if let statistics { try graph.writeStatistics(to: URL(fileURLWithPath: statistics)) }
        try destination.publish()
        let s = graph.statistics
        var line = "news-graph: \(s.nodes) nodes, \(s.edges) edges, \(s.isolatedNodes) isolated"
        if let c = s.construction {
            line += ", \(c.activeUsers) active users (≥ \(c.minUserRecords) records), \(c.dummyUsers) dummy users"
        }
        line += " → " + ([destination.display] + (statistics.map { [$0] } ?? [])).joined(separator: ", ")
        if destination.toStdout { print(line, to: &standardError) } else { print(line) }
    }

    static func defaultStatisticsPath(_ output: String) -> String {
        let url = URL(fileURLWithPath: output)
        let stem = url.pathExtension.isEmpty ? url : url.deletingPathExtension()
        return stem.path + ".stats.json"
    }
}

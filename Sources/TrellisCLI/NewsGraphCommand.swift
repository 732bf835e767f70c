import Foundation
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

    OPTIONS:
      --articles FULL.csv        articles, one node each, in file order
      --engagements SOCIAL.csv   engagement records: user uid reposted news sid
      --min-user-records N       activity threshold t_u (default 5)
      --edge-list FILE           read a prebuilt graph instead of building one
      --nodes N                  with --edge-list: the node count (default: largest index + 1)
      --output GRAPH.tsv         the graph, written atomically
      --statistics STATS.json    statistics (default: GRAPH.stats.json beside the output)
    """

    static func run(_ args: inout Arguments) throws {
        let articles = try args.option("articles")
        let engagements = try args.option("engagements")
        let edgeList = try args.option("edge-list")
        let threshold = try args.option("min-user-records", default: 5)
        let nodes: Int? = try args.option("nodes").map {
            guard let n = Int($0), n > 0 else { throw ArgumentError.badValue("--nodes", $0) }
            return n
        }
        let output = try args.required("output")
        let statistics = try args.option("statistics") ?? defaultStatisticsPath(output)
        try args.finish()

        let graph: NewsGraph
        switch (articles, engagements, edgeList) {
        case let (a?, e?, nil):
            let ids = try NewsReader.readArticleIds(a)
            let records = try EngagementRecords.read(e)
            graph = try NewsGraph.build(articles: ids, records: records, minUserRecords: threshold)
        case let (nil, nil, list?):
            graph = try NewsGraph.readEdgeList(URL(fileURLWithPath: list), nodeCount: nodes)
        default:
            print("trellis news-graph: give --articles and --engagements, or --edge-list\n\n" + usage,
                  to: &standardError)
            throw ExitStatus(code: 2)
        }
        try graph.writeEdgeList(to: URL(fileURLWithPath: output))
        try graph.writeStatistics(to: URL(fileURLWithPath: statistics))
        let s = graph.statistics
        var line = "news-graph: \(s.nodes) nodes, \(s.edges) edges, \(s.isolatedNodes) isolated"
        if let c = s.construction {
            line += ", \(c.activeUsers) active users (≥ \(c.minUserRecords) records), \(c.dummyUsers) dummy users"
        }
        print(line + " → \(output), \(statistics)")
    }

    /// `GRAPH.tsv` → `GRAPH.stats.json`.
    static func defaultStatisticsPath(_ output: String) -> String {
        let url = URL(fileURLWithPath: output)
        let stem = url.pathExtension.isEmpty ? url : url.deletingPathExtension()
        return stem.path + ".stats.json"
    }
}

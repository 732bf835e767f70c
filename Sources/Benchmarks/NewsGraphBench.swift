import Foundation
import PromptAlign
import CLISupport

/// `trellis bench news-graph`: builds the P&A news graph from synthetic engagement records (100,000
/// articles, 10 million records by default) and times it next to a vectorised scipy.sparse build of the
/// same records (scripts/bench/news_graph_scipy.py) run in the same invocation when python with scipy is
/// available (`$TRELLIS_PYTHON`, else `python3`).
enum NewsGraphBench {
    static let summary = "P&A news graph from 10M synthetic engagements vs scipy.sparse"

    static func run(_ args: inout Arguments) throws {
        let articles = try args.option("articles", default: 100_000)
        let engagements = try args.option("engagements", default: 10_000_000)
        let users = try args.option("users", default: 7_000_000)
        let threshold = try args.option("min-user-records", default: 5)
        let repeats = max(1, try args.option("repeat", default: 3))
        let noReference = args.flag("no-reference")
        let json = args.flag("json")
        try args.finish()

        var clock = Date()
        let records = SyntheticEngagements.generate(articles: articles, engagements: engagements, users: users)
        let generateSeconds = Date().timeIntervalSince(clock)
        var times: [Double] = [], cpuTimes: [Double] = []
        var graph: NewsGraph?
        for _ in 0..<repeats {
            graph = nil
            clock = Date()
            let cpu0 = processCPUSeconds()
            graph = try NewsGraph.build(nodeCount: articles, interned: records, minUserRecords: threshold)
            cpuTimes.append(processCPUSeconds() - cpu0)
            times.append(Date().timeIntervalSince(clock))
        }
        let stats = graph!.statistics
        let ours = times.min()!
        let oursCPU = cpuTimes.min()!
        let reference = noReference ? nil : try scipyReference(records, nodes: articles, threshold: threshold,
                                                                repeats: repeats)
        let c = stats.construction!
        if json {
            var out: [String: Any] = ["articles": articles, "engagements": engagements, "users": users,
                                      "seconds": ours, "all_seconds": times, "cpu_seconds": oursCPU, "generate_seconds": generateSeconds,
                                      "stored_entries": stats.storedEntries, "active_users": c.activeUsers,
                                      "dummy_users": c.dummyUsers, "weight_sum": stats.weightSum]
            if let r = reference { out["reference"] = r }
            print(try BenchJSON.line(out))
            return
        }
        BenchHeader.print("news-graph")
        print("news-graph: \(articles) articles, \(engagements) engagements, \(users) users, t_u = \(threshold)")
        print("  generated in \(fmt(generateSeconds)) s; active users \(c.activeUsers), dummy users \(c.dummyUsers), "
              + "stored entries of A_T \(stats.storedEntries), edges \(stats.edges)")
        print("  implementation        wall s (best of \(repeats))  CPU s (best)   wall ratio  CPU ratio")
        print("  trellis (Swift)       " + pad(fmt(ours), 22) + pad(fmt(oursCPU), 15) + pad("1.00", 12) + "1.00")
        if let r = reference, let s = r["seconds"] as? Double {
            let cpu = r["cpu_seconds"] as? Double ?? .nan
            print("  scipy.sparse " + pad(r["scipy"] as? String ?? "", 9) + pad(fmt(s), 22) + pad(fmt(cpu), 15)
                  + pad(String(format: "%.2f", s / ours), 12) + String(format: "%.2f", cpu / oursCPU))
            let agree = (r["nnz"] as? Int) == stats.storedEntries && (r["active_users"] as? Int) == c.activeUsers
                && abs(((r["weight_sum"] as? Double) ?? 0) - stats.weightSum) <= 1e-5 * max(1, stats.weightSum)
            print("  same graph (stored entries, active users, weight sum within 1e-5): \(agree ? "yes" : "NO")")
        } else if let r = reference {
            print("  scipy reference unavailable: \(r["error"] ?? "unknown")")
        } else {
            print("  scipy reference skipped (--no-reference)")
        }
        print("  load average now \(BenchHeader.loadAverage())")
    }

    static func fmt(_ x: Double) -> String { String(format: "%.3f", x) }
    static func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count + 1), withPad: " ", startingAt: 0) }

    /// Runs the scipy script on the same records (passed as .npy files); nil fields mean unavailable.
    static func scipyReference(_ records: EngagementRecords, nodes: Int, threshold: Int,
                               repeats: Int) throws -> [String: Any] {
        guard let script = ReferenceScript("news_graph_scipy.py") else {
            return ["error": "scripts/bench/news_graph_scipy.py not found"]
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-news-graph-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let news = dir.appendingPathComponent("news.npy"), users = dir.appendingPathComponent("users.npy")
        try npyInt32(records.newsIndex).write(to: news)
        try npyInt32(records.userIndex).write(to: users)
        let r: ReferenceScript.Output
        do {
            r = try script.run(["--news", news.path, "--users", users.path, "--nodes", String(nodes),
                                "--min-user-records", String(threshold), "--repeat", String(repeats)])
        } catch { return ["error": "cannot run \(script.interpreter): \(error)"] }
        guard let obj = r.json else {
            return ["error": "\(script.interpreter) exited with status \(r.status)"]
        }
        return obj
    }

    /// A 1-D little-endian int32 array in numpy's .npy format (version 1.0).
    static func npyInt32(_ values: [Int32]) -> Data {
        var header = "{'descr': '<i4', 'fortran_order': False, 'shape': (\(values.count),), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xff), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }
}

import DataIO
import Foundation

/// User–news engagement records (`sid,label,tid,uid` rows: user `uid` reposted news `sid`), with news and
/// user ids interned to dense indices in order of first appearance.
public struct EngagementRecords: Sendable {
    /// Distinct news ids, in order of first appearance (empty for pre-interned records).
    public private(set) var newsIds: [String] = []
    /// Distinct user ids, in order of first appearance (empty for pre-interned records).
    public private(set) var userIds: [String] = []
    /// Number of distinct news.
    public private(set) var newsCount = 0
    /// Number of distinct users.
    public private(set) var userCount = 0
    /// False for records made by `init(newsIndex:userIndex:newsCount:userCount:)`, which carry no ids.
    public private(set) var hasIds = true
    /// Per record: index into `newsIds`.
    public private(set) var newsIndex: [Int32] = []
    /// Per record: index into `userIds`.
    public private(set) var userIndex: [Int32] = []

    private var newsLookup: [String: Int32] = [:]
    private var userLookup: [String: Int32] = [:]

    /// Number of records.
    public var count: Int { newsIndex.count }

    /// An empty record set.
    public init() {}

    /// Records given as already-interned indices in 0..<newsCount and 0..<userCount (generators,
    /// converters). They carry no ids, so `append` cannot be used on them.
    public init(newsIndex: [Int32], userIndex: [Int32], newsCount: Int, userCount: Int) {
        precondition(newsIndex.count == userIndex.count, "one news and one user per record")
        self.newsIndex = newsIndex
        self.userIndex = userIndex
        self.newsCount = newsCount
        self.userCount = userCount
        self.hasIds = false
    }

    /// Appends one record, interning its ids.
    public mutating func append(news: String, user: String) {
        precondition(hasIds, "append on pre-interned engagement records")
        let n: Int32
        if let known = newsLookup[news] { n = known } else {
            n = Int32(newsIds.count); newsLookup[news] = n; newsIds.append(news); newsCount += 1
        }
        let u: Int32
        if let known = userLookup[user] { u = known } else {
            u = Int32(userIds.count); userLookup[user] = u; userIds.append(user); userCount += 1
        }
        newsIndex.append(n)
        userIndex.append(u)
    }

    /// Reserves room for `n` more records.
    public mutating func reserveCapacity(_ n: Int) {
        newsIndex.reserveCapacity(newsIndex.count + n)
        userIndex.reserveCapacity(userIndex.count + n)
    }
}

extension EngagementRecords {
    /// Reads a social-context CSV with a header naming at least `sid` and `uid` (`sid,label,tid,uid`,
    /// one row per repost of news `sid` by user `uid`); other columns are ignored.
    public static func read(_ path: String) throws -> EngagementRecords {
        let reader = try CSVReader(path: path, options: .csvWithHeader)
        guard let sid = reader.index(of: "sid") else {
            throw PromptAlignError.missingColumn(file: path, line: 1, column: "sid")
        }
        guard let uid = reader.index(of: "uid") else {
            throw PromptAlignError.missingColumn(file: path, line: 1, column: "uid")
        }
        var records = EngagementRecords()
        while let row = try reader.next() {
            for (column, name) in [(sid, "news id (sid)"), (uid, "user id (uid)")] where row[column].isEmpty {
                throw PromptAlignError.malformedRow(file: path, line: row.line, column: column + 1,
                                                    expected: "a \(name)", found: "an empty field")
            }
            records.append(news: row[sid], user: row[uid])
        }
        return records
    }
}

import _TestSupport
import PromptAlign
import XCTest

final class NewsReaderTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory("news-reader") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testSplitWithQuotedCommasAndNewlines() throws {
        let path = try write("train.csv", "0,\"Hello, world\"\n1,\"two\nlines with \"\"quotes\"\"\"\n0,plain\n")
        let a = try NewsReader.read(path)
        XCTAssertEqual(a.map(\.label), [0, 1, 0])
        XCTAssertEqual(a[1].text, "two\nlines with \"quotes\"")
        XCTAssertEqual(a.map(\.line), [1, 2, 4])
        XCTAssertNil(a[0].id)
    }

    func testSplitErrorsNameTheLine() throws {
        let badLabel = try write("bad.csv", "0,ok\n2,\"not a label\"\n")
        XCTAssertThrowsError(try NewsReader.readSplit(badLabel)) { error in
            XCTAssertEqual("\(error)", "\(badLabel):2: field 1: expected a label 0 (real) or 1 (fake), found '2'")
        }
        // The GossipCop defect in miniature: a closing quote followed by the next record's label.
        let merged = try write("merged.csv", "0,\"first\"\n1,\"second ends here\"1,\"third\"\n")
        XCTAssertThrowsError(try NewsReader.readSplit(merged)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(merged):2:"), "\(error)")
        }
        let three = try write("three.csv", "0,a\n1,b,c\n")
        assertThrows(try NewsReader.readSplit(three), containing: "three.csv:2")
    }

    func testRawArticlesAndIds() throws {
        let path = try write("full.csv", "news_id,label,title,content\nE1,0,\"T, one\",\"Body\none\"\nE2,1,T2,Body two\n")
        XCTAssertEqual(try NewsReader.guessFormat(path), .raw)
        let a = try NewsReader.read(path)
        XCTAssertEqual(a.map(\.id), ["E1", "E2"])
        XCTAssertEqual(a[0].title, "T, one")
        XCTAssertEqual(a[0].text, "Body\none")
        XCTAssertEqual(try NewsReader.readArticleIds(path), ["E1", "E2"])
        let noContent = try write("nocontent.csv", "news_id,label\nE1,0\n")
        assertThrows(try NewsReader.readRaw(noContent), containing: "expected a column named 'content'")
    }

    func testJSONL() throws {
        let path = try write("a.jsonl", """
        {"id": "x1", "label": 1, "title": "t", "text": "body one"}

        {"news_id": 7, "label": "real", "content": "body two"}
        {"text": "unlabelled"}
        """)
        let a = try NewsReader.read(path)
        XCTAssertEqual(a.map(\.id), ["x1", "7", nil])
        XCTAssertEqual(a.map(\.label), [1, 0, nil])
        XCTAssertEqual(a.map(\.text), ["body one", "body two", "unlabelled"])
        XCTAssertEqual(a.map(\.line), [1, 3, 4])
        let bad = try write("b.jsonl", "{\"text\": \"ok\"}\n{\"title\": \"no text\"}\n")
        assertThrows(try NewsReader.read(bad), containing: "b.jsonl:2: expected a string field 'text' or 'content'")
    }

    func testRSSAndAtomFeeds() throws {
        let rss = try write("feed.rss", """
        <?xml version="1.0"?>
        <rss version="2.0"><channel><title>c</title>
        <item><title>First</title><description>Summary one</description><guid>g1</guid></item>
        <item><title>Second</title><description>s</description>
        <content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">Full two</content:encoded>
        <link>http://x/2</link></item>
        </channel></rss>
        """)
        let items = try NewsReader.read(rss)
        XCTAssertEqual(items.map(\.title), ["First", "Second"])
        XCTAssertEqual(items.map(\.text), ["Summary one", "Full two"])
        XCTAssertEqual(items.map(\.id), ["g1", "http://x/2"])
        XCTAssertEqual(items.map(\.label), [nil, nil])
        let atom = try write("feed.atom", """
        <feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:1</id><title>A</title><content>Body A</content></entry></feed>
        """)
        XCTAssertEqual(try NewsReader.read(atom).map(\.text), ["Body A"])
        let broken = try write("broken.xml", "<rss><channel><item><title>x</title>\n<item></channel>")
        assertThrows(try NewsReader.read(broken), containing: "broken.xml:")
    }

    func testEngagementRecords() throws {
        let path = try write("social.csv", "sid,label,tid,uid\nE1,0,11,u1\nE2,1,12,u1\nE1,0,13,u2\n")
        let r = try EngagementRecords.read(path)
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r.newsIds, ["E1", "E2"])
        XCTAssertEqual(r.userIds, ["u1", "u2"])
        XCTAssertEqual(r.newsIndex, [0, 1, 0])
        let missing = try write("bad-social.csv", "sid,label,tid\nE1,0,11\n")
        assertThrows(try EngagementRecords.read(missing), containing: "expected a column named 'uid'")
        let empty = try write("empty-uid.csv", "sid,label,tid,uid\nE1,0,11,u1\nE2,1,12,\n")
        assertThrows(try EngagementRecords.read(empty), containing: "empty-uid.csv:3: field 4: expected a user id (uid)")
    }
}

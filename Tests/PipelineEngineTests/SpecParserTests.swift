import PipelineEngine
import _TestSupport
import XCTest

/// The YAML subset: what parses, and every syntax error with its exact message and position.
final class SpecParserTests: XCTestCase {
    func parse(_ text: String) throws -> SpecNode { try SpecParser.parse(text, file: "x.yaml") }

    /// The single error message `text` produces.
    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try parse(text)
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// Parses `text` and checks the scalar under each top-level key.
    func assertScalars(_ text: String, _ expected: KeyValuePairs<String, String>, file: StaticString = #filePath,
                       line: UInt = #line) throws {
        let root = try parse(text)
        for (key, value) in expected { XCTAssertEqual(root[key]?.scalarValue, value, key, file: file, line: line) }
    }

    func testScalarsStayStrings() throws {
        try assertScalars("country: NO\nzip: 010\nversion: 1.20\nflag: yes\nempty:\n",
                          ["country": "NO", "zip": "010", "version": "1.20", "flag": "yes", "empty": ""])
    }

    func testPositionsOfNodes() throws {
        let root = try parse("# comment\nstages:\n  embed:\n    uses: protein.embed   # trailing comment\n")
        let embed = root["stages"]!.entries![0]
        XCTAssertEqual(embed.keyLocation.description, "x.yaml:3:3")
        XCTAssertEqual(embed.value["uses"]?.scalarValue, "protein.embed")
        XCTAssertEqual(embed.value["uses"]?.location.description, "x.yaml:4:11")
    }

    func testListsFlowListsAndCompactLists() throws {
        let root = try parse("a: [1, 'two', \"th ree\", [x, y], ]\nb:\n- p\n- q: 1\n  r: 2\nc:\n  - - n1\n    - n2\nd: []\n")
        XCTAssertEqual(root["a"]?.items?.count, 4)
        XCTAssertEqual(root["a"]?.items?[2].scalarValue, "th ree")
        XCTAssertEqual(root["a"]?.items?[3].items?.map { $0.scalarValue }, ["x", "y"])
        XCTAssertEqual(root["b"]?.items?[0].scalarValue, "p")
        XCTAssertEqual(root["b"]?.items?[1]["r"]?.scalarValue, "2")
        XCTAssertEqual(root["c"]?.items?[0].items?.count, 2)
        XCTAssertEqual(root["d"]?.items?.count, 0)
    }

    func testQuotedScalarsAndEscapes() throws {
        try assertScalars(#"a: "tab\there \"q\" \u00e9 \\"  # c"# + "\nb: 'it''s # not a comment'\n\"quoted key\": v\n",
                          ["a": "tab\there \"q\" é \\", "b": "it's # not a comment", "quoted key": "v"])
    }

    func testBlockScalars() throws {
        try assertScalars("cmd: |\n  echo a  # kept\n\n    indented\nnext: x\nstrip: |-\n  one\nfold: >\n  a\n  b\n\n  c\n",
                          ["cmd": "echo a  # kept\n\n  indented\n", "next": "x", "strip": "one", "fold": "a b\nc\n"])
    }

    func testCRLFAndDocumentMarker() throws {
        let root = try parse("---\r\na: 1\r\nb: [x]\r\n")
        XCTAssertEqual(root["a"]?.scalarValue, "1")
        XCTAssertEqual(root["b"]?.items?.count, 1)
    }

    // MARK: Every syntax error class

    func testTabInIndentation() {
        XCTAssertEqual(error("stages:\n\tembed: x\n"), "x.yaml:2:1: tab character in indentation; indent with spaces")
    }

    func testTabAfterValue() {
        XCTAssertEqual(error("a:\tb\n"), "x.yaml:1:3: tab character; use spaces")
    }

    func testAnchor() {
        XCTAssertEqual(error("a: &base\n  b: 1\n"), "x.yaml:1:4: anchors (&name) are not supported; repeat the value instead")
    }

    func testAlias() {
        XCTAssertEqual(error("a: 1\nb: *base\n"), "x.yaml:2:4: aliases (*name) are not supported; repeat the value instead")
    }

    func testTag() {
        XCTAssertEqual(error("a: !!str 1\n"), "x.yaml:1:4: tags (!name) are not supported; values are typed by the stage's parameter schema")
    }

    func testDuplicateKey() {
        XCTAssertEqual(error("stages:\n  a: 1\n  b: 2\n  a: 3\n"), "x.yaml:4:3: duplicate key 'a' (first at line 2, column 3)")
    }

    func testFlowMapping() {
        XCTAssertEqual(error("with: {a: 1}\n"), "x.yaml:1:7: flow mappings ({...}) are not supported; use an indented block mapping")
    }

    func testUnterminatedQuotes() {
        XCTAssertEqual(error("a: \"abc\n"), "x.yaml:1:4: unterminated double-quoted string; quoted strings must end on the same line")
        XCTAssertEqual(error("a: 'abc\n"), "x.yaml:1:4: unterminated single-quoted string; quoted strings must end on the same line")
    }

    func testUnknownEscape() {
        XCTAssertEqual(error(#"a: "x\qy""#), #"x.yaml:1:6: unknown escape '\q' in double-quoted string; expected one of \n \t \r \" \\ \0 \xXX \uXXXX"#)
    }

    func testUnterminatedFlowList() {
        XCTAssertEqual(error("a: [1, 2\n"), "x.yaml:1:4: unterminated flow list; expected ']' on the same line")
    }

    func testTextAfterQuotedValue() {
        XCTAssertEqual(error("a: 'x' y\n"), "x.yaml:1:8: unexpected text after the value; expected end of line or a comment")
    }

    func testUnexpectedIndentation() {
        XCTAssertEqual(error("a:\n  b: 1\n    c: 2\n"), "x.yaml:3:5: unexpected indentation")
    }

    func testMultiLinePlainScalar() {
        XCTAssertEqual(error("a: one\n  two\n"), "x.yaml:2:3: multi-line plain scalars are not supported; use a '|' block or quotes")
    }

    func testBadDedent() {
        XCTAssertEqual(error("  a: 1\nb: 2\n"), "x.yaml:2:1: bad indentation; expected column 3 like the first line")
    }

    func testNotAKeyValue() {
        XCTAssertEqual(error("just text\n"), "x.yaml:1:1: expected 'key: value' or '- item'")
    }

    func testListItemInMapping() {
        XCTAssertEqual(error("a: 1\n- b\n"), "x.yaml:2:1: expected 'key: value' in the mapping started at line 1, found a list item")
    }

    func testSecondDocument() {
        XCTAssertEqual(error("a: 1\n---\nb: 2\n"), "x.yaml:2:1: only one document per spec; remove this '---' line")
    }

    func testIndentationIndicator() {
        XCTAssertEqual(error("a: |2\n  x\n"), "x.yaml:1:5: explicit indentation indicators are not supported; indent the block consistently")
    }

    func testEditDistance() {
        XCTAssertEqual(EditDistance.distance("kitten", "sitting"), 3)
        XCTAssertEqual(EditDistance.suggestion(for: "top_q", among: ["top_p", "temperature"]), "top_p")
        XCTAssertNil(EditDistance.suggestion(for: "zzzzzz", among: ["top_p", "temperature"]))
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 1000)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

/// The spec examples users copy from the README must parse.
final class ReadmeSpecExampleTests: XCTestCase {
    func testEveryYAMLBlockInTheReadmeParses() throws {
        let readme = try String(contentsOf: TestSupport.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        XCTAssertGreaterThan(blocks.count, 1)
        for (i, b) in blocks.enumerated() {
            XCTAssertNoThrow(try SpecParser.parse(b, file: "README.md yaml block \(i + 1)"), b)
        }
    }
}

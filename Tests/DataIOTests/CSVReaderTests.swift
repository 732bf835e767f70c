import DataIO
import Foundation
import XCTest
import _TestSupport

final class CSVReaderTests: XCTestCase {
    /// Rows Python's csv module reads from each fixture (computed by scripts/fixtures/dataio.py).
    func pythonRows(_ name: String) throws -> [[String]] {
        let all = try Fixture.json("csv_expected.json") as! [String: Any]
        return all[name] as! [[String]]
    }

    func testRFC4180MatchesPython() throws {
        let expected = try pythonRows("rfc4180.csv")
        for name in ["rfc4180.csv", "rfc4180.csv.zst"] {
            let reader = try CSVReader(path: Fixture.path(name), options: .csvWithHeader)
            XCTAssertEqual(reader.header, expected[0])
            XCTAssertEqual(reader.index(of: "label"), 2)
            var rows: [CSVRow] = []
            try reader.forEach { rows.append($0) }
            XCTAssertEqual(rows.map(\.fields), Array(expected.dropFirst()), name)
            XCTAssertEqual(rows.map(\.line), [2, 3, 4, 7, 8, 9, 10], name)
        }
        // Without a header the header record is an ordinary row.
        XCTAssertEqual(try CSVReader.readAll(path: Fixture.path("rfc4180.csv")).map(\.fields), expected)
    }

    func testTSV() throws {
        let rows = try CSVReader.readAll(path: Fixture.path("data.tsv"), options: .tsv)
        XCTAssertEqual(rows.map(\.fields), try pythonRows("data.tsv"))
    }

    func testMissingRecordBreakIsReported() throws {
        let path = Fixture.path("missing_break.csv")
        expectDataIOError("\(path):2:33: expected ',' or end of record after closing quote, found '1'") { _ = try CSVReader.readAll(path: path) }
        // Collecting: the same problem, then the resulting field count, and the rows Python would read.
        let reader = try CSVReader(path: path, options: CSVOptions(onError: .collect))
        var rows: [[String]] = []
        try reader.forEach { rows.append($0.fields) }
        XCTAssertEqual(rows, try pythonRows("missing_break.csv"))
        XCTAssertEqual(reader.problems.map(\.description), [
            "\(path):2:33: expected ',' or end of record after closing quote, found '1'",
            "\(path):2: expected 2 fields (as in the first record, line 1), found 3",
        ])
    }

    func testNonASCIIAfterClosingQuoteIsShownAsACharacter() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("x.csv").path
        try Data("a,\"b\"é,c\n".utf8).write(to: URL(fileURLWithPath: path))
        expectDataIOError("\(path):1:6: expected ',' or end of record after closing quote, found 'é'") { _ = try CSVReader.readAll(path: path) }
    }

    func testRaggedRowsAreReported() throws {
        let path = Fixture.path("ragged.csv")
        expectDataIOError("\(path):3: expected 3 fields (as in the header), found 2") { _ = try CSVReader.readAll(path: path, options: .csvWithHeader) }
        var lenient = CSVOptions.csvWithHeader
        lenient.strictFieldCount = false
        XCTAssertEqual(try CSVReader.readAll(path: path, options: lenient).map(\.fields),
                       Array(try pythonRows("ragged.csv").dropFirst()))
    }

    func testUnterminatedQuoteNamesWhereItOpened() throws {
        let path = Fixture.path("unterminated.csv")
        let e = expectDataIOError { _ = try CSVReader.readAll(path: path) }
        XCTAssertEqual(e?.description,
                       "\(path):2:3: unterminated quoted field: expected a closing '\"' before the end of the file")
    }

    func testBareQuoteInUnquotedField() throws {
        let path = Fixture.path("bare_quote.csv")
        let e = expectDataIOError { _ = try CSVReader.readAll(path: path) }
        XCTAssertEqual(e?.description,
                       "\(path):2:5: unexpected quote inside an unquoted field (quote the whole field and double the quote)")
        let problems = try CSVReader.validate(path: path)
        XCTAssertEqual(problems.count, 1)
    }

    func testWriterMatchesPythonQuoting() throws {
        let rows = try pythonRows("writer_rows")
        let dir = try scratchDirectory()
        for (term, name) in [("\r\n", "written_crlf.csv"), ("\n", "written_lf.csv")] {
            let path = dir.appendingPathComponent(name).path
            let writer = try CSVWriter(path: path, options: CSVOptions(lineTerminator: term))
            for row in rows { try writer.write(row) }
            try writer.finish()
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)),
                           try Data(contentsOf: URL(fileURLWithPath: Fixture.path(name))), name)
            var lenient = CSVOptions.csv
            lenient.strictFieldCount = false
            XCTAssertEqual(try CSVReader.readAll(path: path, options: lenient).map(\.fields), rows, name)
        }
        // A lone "\r" is quoted whatever the line terminator, so the file reads back.
        let path = dir.appendingPathComponent("cr.csv").path
        let writer = try CSVWriter(path: path, options: CSVOptions(lineTerminator: "\n"))
        try writer.write(["a\rb", "c"])
        try writer.finish()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "\"a\rb\",c\n")
        XCTAssertEqual(try CSVReader.readAll(path: path).map(\.fields), [["a\rb", "c"]])
    }
}

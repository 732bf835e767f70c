import DataIO
import Foundation
import XCTest
import _TestSupport

final class XMLTests: XCTestCase {
    static let entries = [
        UniProtEntry(accessions: ["P12345", "Q9XYZ1"], name: "AATM_RABIT",
                     proteinName: "Aspartate aminotransferase, mitochondrial", organism: "Oryctolagus cuniculus",
                     sequence: "MALLHSARVLSGVASAFHPGLAAAASARAS", line: 3),
        UniProtEntry(accessions: ["A0A000"], name: "A0A000_ECOLX", proteinName: "Uncharacterized protein",
                     organism: "Escherichia coli", sequence: "MKV*C", line: 28),
        UniProtEntry(accessions: ["P00001"], name: "NOORG", proteinName: nil, organism: nil, sequence: "mkv", line: 35),
    ]

    func testUniProtEntries() throws {
        for name in ["uniprot_small.xml", "uniprot_small.xml.gz"] {
            XCTAssertEqual(try UniProtXMLReader.readAll(path: Fixture.path(name)), Self.entries, name)
        }
    }

    func testMalformedXMLHasLibxml2Position() throws {
        let path = Fixture.path("uniprot_malformed.xml")
        let reader = try UniProtXMLReader(path: path)
        let e = expectDataIOError { while try reader.next() != nil {} }
        guard case .syntax(let pos, let expected)? = e else { return XCTFail("wrong case") }
        XCTAssertEqual(pos.line, 6)
        XCTAssertNotNil(pos.column)
        XCTAssertTrue(expected.hasPrefix("malformed XML: Opening and ending tag mismatch: name line 6 and nam"), expected)
    }

    func testEntryWithoutAccession() throws {
        let path = Fixture.path("uniprot_no_accession.xml")
        expectDataIOError("\(path):28: expected an <accession> in this <entry>") { _ = try UniProtXMLReader.readAll(path: path) }
    }

    func testRSSAndAtomFeeds() throws {
        let rss = try FeedReader.readAll(path: Fixture.path("feed_rss.xml"))
        XCTAssertEqual(rss, [
            FeedItem(title: "First & foremost", description: "<p>Summary one</p>", content: "<p>Full text one</p>",
                     id: "id-1", link: "https://example.org/1", date: "Mon, 01 Jan 2024 00:00:00 GMT", line: 4),
            FeedItem(title: "Second", description: "Plain", id: "https://example.org/2", link: "https://example.org/2", line: 8),
        ])
        let atom = try FeedReader.readAll(path: Fixture.path("feed_atom.xml"))
        XCTAssertEqual(atom, [
            FeedItem(title: "Atom one", description: "Short", content: "Long text", id: "urn:a1",
                     link: "https://example.org/a1", date: "2024-01-02T00:00:00Z", line: 3),
        ])
    }

    func testNotXML() throws {
        let path = Fixture.path("basic.faa")
        let e = expectDataIOError { _ = try FeedReader.readAll(path: path) }
        XCTAssertEqual(e?.position?.line, 1)
    }
}

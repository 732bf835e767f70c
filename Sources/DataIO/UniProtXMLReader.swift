import Foundation

/// One `<entry>` of a UniProt XML file (UniProtKB `uniprot.xsd`).
public struct UniProtEntry: Equatable, Sendable {
    /// Accessions in file order; the first is the primary one.
    public var accessions: [String]
    /// Entry name (`<name>` child of `<entry>`), e.g. `AATM_RABIT`.
    public var name: String
    /// Recommended full name (else the first submitted full name), or nil.
    public var proteinName: String?
    /// Scientific name of the organism, or nil.
    public var organism: String?
    /// The canonical sequence, whitespace removed.
    public var sequence: String
    /// 1-based line of the `<entry>` start tag.
    public var line: Int

    /// The primary accession.
    public var accession: String { accessions.first ?? "" }

    public init(accessions: [String], name: String, proteinName: String?, organism: String?, sequence: String, line: Int = 0) {
        self.accessions = accessions
        self.name = name
        self.proteinName = proteinName
        self.organism = organism
        self.sequence = sequence
        self.line = line
    }
}

/// Streams the entries of a UniProt XML file (plain, `.gz` or `.zst`) through libxml2's `xmlTextReader`,
/// in constant memory. Malformed XML is reported with libxml2's line and column; an `<entry>` without an
/// accession or a sequence is reported at the entry's line.
public final class UniProtXMLReader: RecordStream {
    private let xml: XMLStreamReader
    /// The path given at creation.
    public var path: String { xml.path }

    public init(path: String) throws { xml = try XMLStreamReader(path: path) }

    private enum Field { case accession, name, recommendedName, submittedName, organism, sequence }

    /// The next entry, or nil after the last one.
    public func next() throws -> UniProtEntry? {
        // Find the next <entry> start tag.
        while true {
            guard try xml.read() else { return nil }
            if xml.node == .start && xml.localName == "entry" && !xml.isEmptyElement { break }
        }
        let entryDepth = xml.depth
        let line = xml.line
        var accessions: [String] = [], name = "", recommended: String?, submitted: String?, organism: String?
        var sequence = ""
        var stack: [String] = []         // element names below <entry>
        var capture: Field?              // what the current text belongs to
        var captureDepth = 0
        var text = ""
        while try xml.read() {
            switch xml.node {
            case .start:
                if capture == nil {
                    capture = field(for: stack + [xml.localName])
                    captureDepth = xml.depth
                    text = ""
                }
                if xml.isEmptyElement {
                    if capture != nil && xml.depth == captureDepth { capture = nil }
                } else {
                    stack.append(xml.localName)
                }
            case .text:
                if capture != nil { text += xml.value }
            case .end:
                if xml.depth == entryDepth {
                    if accessions.isEmpty || sequence.isEmpty {
                        throw DataIOError.syntax(SourcePosition(path: path, line: line),
                                                 expected: "expected \(accessions.isEmpty ? "an <accession>" : "a <sequence>") in this <entry>")
                    }
                    return UniProtEntry(accessions: accessions, name: name, proteinName: recommended ?? submitted,
                                        organism: organism, sequence: sequence, line: line)
                }
                if let field = capture, xml.depth == captureDepth {
                    let value = trimmed(text)
                    switch field {
                    case .accession: accessions.append(value)
                    case .name: name = value
                    case .recommendedName: if recommended == nil { recommended = value }
                    case .submittedName: if submitted == nil { submitted = value }
                    case .organism: if organism == nil { organism = value }
                    case .sequence: sequence = String(value.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
                    }
                    capture = nil
                }
                stack.removeLast()
            case .other:
                break
            }
        }
        throw DataIOError.syntax(SourcePosition(path: path, line: line),
                                 expected: "expected </entry> before the end of the file")
    }

    /// What the element at `path` (names below `<entry>`) holds, when it is one we keep.
    private func field(for path: [String]) -> Field? {
        switch path {
        case ["accession"]: return .accession
        case ["name"]: return .name
        case ["protein", "recommendedName", "fullName"]: return .recommendedName
        case ["protein", "submittedName", "fullName"]: return .submittedName
        case ["organism", "name"]: return xml.attribute("type") == "scientific" ? .organism : nil
        case ["sequence"]: return .sequence
        default: return nil
        }
    }

    private func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Every entry of `path` (holds them all in memory).
    public static func readAll(path: String) throws -> [UniProtEntry] {
        try UniProtXMLReader(path: path).remaining()
    }
}

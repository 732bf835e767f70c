@_implementationOnly import CLibXML2   // its ICU headers clash with Foundation's in clients that import DataIO

/// A pull reader over libxml2's `xmlTextReader`, fed by `ByteReader` (so `.gz` / `.zst` XML works), that
/// turns libxml2 errors into positioned `DataIOError`s. Memory stays constant: no tree is built.
final class XMLStreamReader {
    enum Node: Equatable { case start, end, text, other }

    /// Shared with the C callbacks through an unmanaged pointer.
    final class Context {
        let source: ByteReader
        var readError: DataIOError?
        var parseError: DataIOError?
        init(source: ByteReader) { self.source = source }
    }

    let path: String
    private let reader: xmlTextReaderPtr
    private let context: Context
    private let contextPointer: UnsafeMutableRawPointer

    /// The current node's kind, local name (namespace prefix dropped), depth and emptiness (`<x/>`).
    private(set) var node = Node.other
    private(set) var localName = ""
    private(set) var depth = 0
    private(set) var isEmptyElement = false

    init(path: String) throws {
        self.path = path
        context = Context(source: try ByteReader(path: path))
        contextPointer = Unmanaged.passRetained(context).toOpaque()
        let read: xmlInputReadCallback = { ctx, buffer, len in
            let context = Unmanaged<XMLStreamReader.Context>.fromOpaque(ctx!).takeUnretainedValue()
            do {
                return Int32(try context.source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(len))))
            } catch let e as DataIOError {
                context.readError = e
            } catch {
                context.readError = .io(path: context.source.path, operation: "read", reason: "\(error)")
            }
            return -1
        }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue | XML_PARSE_COMPACT.rawValue)
        guard let r = xmlReaderForIO(read, nil, contextPointer, path, nil, options) else {
            Unmanaged<Context>.fromOpaque(contextPointer).release()
            throw DataIOError.io(path: path, operation: "start the XML reader", reason: "xmlReaderForIO failed")
        }
        reader = r
        xmlTextReaderSetStructuredErrorHandler(reader, { ctx, error in
            guard let ctx, let error else { return }
            let context = Unmanaged<XMLStreamReader.Context>.fromOpaque(ctx).takeUnretainedValue()
            let e = error.pointee
            guard e.level.rawValue >= XML_ERR_ERROR.rawValue, context.parseError == nil else { return }
            var message = e.message.map { String(cString: $0) } ?? "malformed XML"
            while message.last == "\n" || message.last == " " { message.removeLast() }
            context.parseError = .syntax(SourcePosition(path: context.source.path, line: Int(e.line),
                                                        column: e.int2 > 0 ? Int(e.int2) : nil),
                                         expected: "malformed XML: \(message)")
        }, contextPointer)
    }

    deinit {
        xmlFreeTextReader(reader)
        Unmanaged<Context>.fromOpaque(contextPointer).release()
    }

    /// Moves to the next node; returns false at the end of the document.
    func read() throws -> Bool {
        let rc = xmlTextReaderRead(reader)
        if let e = context.readError { throw e }
        if rc < 0 || context.parseError != nil {
            if let e = context.parseError { throw e }
            throw DataIOError.syntax(SourcePosition(path: path, line: Int(xmlTextReaderGetParserLineNumber(reader)),
                                                    column: Int(xmlTextReaderGetParserColumnNumber(reader))),
                                     expected: "malformed XML")
        }
        if rc == 0 { return false }
        switch xmlTextReaderNodeType(reader) {
        case Int32(XML_READER_TYPE_ELEMENT.rawValue): node = .start
        case Int32(XML_READER_TYPE_END_ELEMENT.rawValue): node = .end
        case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
             Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue): node = .text
        default: node = .other
        }
        depth = Int(xmlTextReaderDepth(reader))
        isEmptyElement = node == .start && xmlTextReaderIsEmptyElement(reader) == 1
        if node == .start || node == .end {
            localName = xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
        } else {
            localName = ""
        }
        return true
    }

    /// The text of the current text node.
    var value: String {
        xmlTextReaderConstValue(reader).map { String(cString: $0) } ?? ""
    }

    /// An attribute of the current element, by name.
    func attribute(_ name: String) -> String? {
        guard let p = xmlTextReaderGetAttribute(reader, name) else { return nil }
        defer { xmlFree(p) }
        return String(cString: p)
    }

    /// Line of the current node's start in the document (the parser itself may have read further ahead).
    var line: Int {
        if let node = xmlTextReaderCurrentNode(reader) {
            let n = xmlGetLineNo(node)
            if n > 0 { return Int(n) }
        }
        return Int(xmlTextReaderGetParserLineNumber(reader))
    }
}

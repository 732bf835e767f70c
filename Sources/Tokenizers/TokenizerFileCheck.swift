import Foundation

/// Reading of tokenizer files with messages a user can act on (not found, is a directory, permission denied),
/// and the checks a one-token-per-line list (vocab.txt, a text tokenizer.model) must pass.
enum TokenizerFileCheck {
    /// Largest tokenizer file read (the largest released tokenizer.json files are tens of MB).
    static let maxBytes: Int64 = 2 << 30

    /// The bytes of `path`, or `TokenizerError.unreadable` with the reason.
    static func bytes(_ path: String) throws -> [UInt8] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TokenizerError.unreadable(path: path, reason: "no such file")
        }
        if isDir.boolValue { throw TokenizerError.unreadable(path: path, reason: "is a directory, expected a file") }
        // A device or FIFO (a symlink to /dev/zero) would be read forever; a tokenizer file is a regular file.
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw TokenizerError.unreadable(path: path, reason: "not a regular file")
        }
        if let size = attributes?[.size] as? NSNumber, size.int64Value > maxBytes {
            throw TokenizerError.unreadable(path: path, reason: "\(size.int64Value) bytes; tokenizer files are at most \(maxBytes) bytes")
        }
        guard FileManager.default.isReadableFile(atPath: path), let d = FileManager.default.contents(atPath: path) else {
            throw TokenizerError.unreadable(path: path, reason: "permission denied")
        }
        return [UInt8](d)
    }

    /// Throws unless `bytes` is a non-empty UTF-8 text without NUL bytes: what a token list looks like,
    /// unlike a binary file given by mistake.
    static func text(_ bytes: [UInt8], path: String, what: String) throws {
        guard !bytes.isEmpty else { throw TokenizerError.badBinary(path: path, offset: 0, expected: "\(what); the file is empty") }
        if let i = bytes.firstIndex(of: 0) {
            throw TokenizerError.badBinary(path: path, offset: i, expected: "\(what); found a NUL byte (a binary file?)")
        }
        if let i = firstInvalidUTF8(bytes) {
            throw TokenizerError.badBinary(path: path, offset: i, expected: "\(what); found bytes that are not UTF-8")
        }
    }

    /// Byte offset of the first invalid UTF-8 sequence, nil when the whole buffer is valid.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var it = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let s): offset += s.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Throws on an empty line or a token listed twice (the second would silently shadow the first id).
    static func uniqueTokens(_ lines: [String], path: String, allowEmpty: Bool = false) throws {
        var seen: [String: Int] = [:]
        for (i, t) in lines.enumerated() {
            if t.isEmpty && !allowEmpty {
                throw TokenizerError.badLine(path: path, line: i + 1, expected: "one token per line (empty line)")
            }
            if let first = seen[t] {
                throw TokenizerError.badLine(path: path, line: i + 1,
                                             expected: "unique tokens; '\(t)' is already on line \(first + 1)")
            }
            seen[t] = i
        }
    }
}

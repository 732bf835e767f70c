import DataIO
import Formats
import Foundation
import PipelineEngine
import SequenceStages
import Tensors

extension FuzzTarget {
    static let registry: StageRegistry = {
        let r = StageRegistry.withGenericStages()
        SequenceStages.register(in: r)
        return r
    }()

    /// Spec bytes as the CLI reads them (UTF-8 or an error), then parsed and validated.
    static func spec(_ bytes: [UInt8]) throws {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return }
        let loader = PipelineLoader(registry: registry, projectDirectory: FuzzScratch.directory)
        _ = try loader.load(text: text, file: "fuzz.yaml")
    }

    /// The bytes through the one JSON reader (`Formats.JSONReader`), directly, through DataIO's `JSONFile`
    /// and as a safetensors header. A document that parses must survive a writer round trip unchanged:
    /// a written text that does not parse back, or parses to something else, traps here on purpose so the
    /// fuzzer reports it (the writer's output is the project's own files).
    static func json(_ bytes: [UInt8]) throws {
        var firstError: Error?
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch { if firstError == nil { firstError = error } }
        }
        attempt {
            let value = try JSONReader.parse(bytes, path: "fuzz.json")
            for pretty in [false, true] {
                let written = try JSONWriter.bytes(value, pretty: pretty)
                guard let again = try? JSONReader.parse(written, path: "written.json") else {
                    preconditionFailure("JSONWriter output does not parse back: \(String(decoding: written, as: UTF8.self))")
                }
                let rewritten = try JSONWriter.bytes(again, pretty: pretty)
                precondition(rewritten == written, "JSON round trip changed the document")
            }
            _ = try JSONValue(foundation: value.foundation)
        }
        attempt { _ = try JSONFile.parse(bytes, path: "fuzz.json") }
        // The safetensors header reader adds its own checks on top: wrap the bytes as a header.
        attempt {
            var file = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) }
            file += bytes
            _ = try SafetensorsFile(path: FuzzScratch.write(file, to: "json.safetensors"))
        }
        if let firstError { throw firstError }
    }

    /// Every record of a FASTA file; the name's extension follows the magic bytes, as users name files.
    static func fasta(_ bytes: [UInt8]) throws {
        let name: String
        switch Compression.detect(magic: bytes.prefix(4)) {
        case .gzip: name = "in.faa.gz"
        case .zstd: name = "in.faa.zst"
        case .none: name = "in.faa"
        }
        let reader = try FASTAReader(path: FuzzScratch.write(bytes, to: name))
        while let record = try reader.next() { _ = record }
    }

    /// Every row of a CSV file, read as plain CSV, as a strict table with a header (problems collected),
    /// and as TSV.
    static func csv(_ bytes: [UInt8]) throws {
        let path = try FuzzScratch.write(bytes, to: "in.csv")
        var firstError: Error?
        let optionSets = [
            CSVOptions.csv,
            CSVOptions(hasHeader: true, strictFieldCount: true, onError: .collect),
            CSVOptions(delimiter: UInt8(ascii: "\t"), hasHeader: true),
        ]
        for options in optionSets {
            do {
                let reader = try CSVReader(path: path, options: options)
                while let row = try reader.next() { _ = row }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }
}

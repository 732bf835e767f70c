import Foundation
import Formats

/// The engine's records, manifests and trace go through the one JSON reader and writer of `Formats`
/// (compact, keys sorted, so equal records give equal bytes).
enum PipelineJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data { Data(try JSONEncoding.bytes(value)) }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String? = nil) throws -> T {
        try JSONDecoding.decode(type, from: JSONReader.parse([UInt8](data), path: path))
    }
}

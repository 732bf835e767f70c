import Foundation

/// Decodes `Decodable` types from a `JSONValue`, so Codable structs are read through the one JSON reader:
/// errors carry the file, line:column and key path, and integers are checked (exact, in range).
public enum JSONDecoding {
    /// Decodes `T` from `value`.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: ValueDecoder(value: value, path: []))
    }

    /// Reads the file at `path` and decodes `T` from it.
    public static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        try decode(type, from: JSONReader.read(path: path))
    }
}

private struct ValueDecoder: Decoder, JSONCodingPath {
    let value: JSONValue
    let path: [CodingKey]

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let members = try value.object(key: keyPath)
        return KeyedDecodingContainer(Keyed<Key>(value: value, members: members, path: path))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        Unkeyed(items: try value.array(key: keyPath), value: value, path: path)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(value: value, path: path) }
}

private struct Single: SingleValueDecodingContainer, JSONCodingPath {
    let value: JSONValue
    let path: [CodingKey]

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try value.bool(key: keyPath) }
    func decode(_ type: String.Type) throws -> String { try value.string(key: keyPath) }
    func decode(_ type: Double.Type) throws -> Double { try value.double(key: keyPath) }
    func decode(_ type: Float.Type) throws -> Float {
        let d = try value.double(key: keyPath)
        guard abs(d) <= Double(Float.greatestFiniteMagnitude) else {
            throw FormatsError.wrongValue(at: value.location, keyPath: keyPath, expected: "a 32-bit float", found: "out of range \(value.summary)")
        }
        return Float(d)
    }
    func decode(_ type: Int.Type) throws -> Int { try value.int(key: keyPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try int(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try int(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try int(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try int(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try int(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try int(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try int(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try int(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try int(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: ValueDecoder(value: value, path: path)) }

    private func int<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let lo = max(Int(truncatingIfNeeded: T.min), T.min < 0 ? Int.min : 0)
        let hi = T.bitWidth >= Int.bitWidth && !T.isSigned ? Int.max : Int(truncatingIfNeeded: T.max)
        return T(truncatingIfNeeded: try value.int(in: lo...hi, key: keyPath))
    }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol, JSONCodingPath {
    let value: JSONValue
    let members: [(key: String, value: JSONValue)]
    let path: [CodingKey]
    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { value[key.stringValue] != nil }

    private func child(_ key: Key) throws -> JSONValue {
        guard let v = value[key.stringValue] else {
            throw FormatsError.missingKey(at: value.location, keyPath: keyPathText(path + [key]))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).isNull }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let c = try child(key)
        return try Single(value: c, path: path + [key]).decode(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let c = value[key.stringValue], !c.isNull else { return nil }
        return try Single(value: c, path: path + [key]).decode(type)
    }

    func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
        try ValueDecoder(value: try child(key), path: path + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try ValueDecoder(value: try child(key), path: path + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder { ValueDecoder(value: value, path: path) }
    func superDecoder(forKey key: Key) throws -> Decoder { ValueDecoder(value: try child(key), path: path + [key]) }
}

private struct Unkeyed: UnkeyedDecodingContainer, JSONCodingPath {
    let items: [JSONValue]
    let value: JSONValue
    let path: [CodingKey]
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }
    var currentIndex = 0

    init(items: [JSONValue], value: JSONValue, path: [CodingKey]) {
        self.items = items; self.value = value; self.path = path
    }

    private mutating func next() throws -> (JSONValue, [CodingKey]) {
        guard currentIndex < items.count else {
            throw FormatsError.wrongValue(at: value.location, keyPath: keyPath,
                                          expected: "more than \(items.count) elements", found: "\(items.count)")
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], path + [AnyKey(intValue: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < items.count, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, p) = try next()
        return try Single(value: v, path: p).decode(type)
    }

    mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
        let (v, p) = try next()
        return try ValueDecoder(value: v, path: p).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        let (v, p) = try next()
        return try ValueDecoder(value: v, path: p).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder {
        let (v, p) = try next()
        return ValueDecoder(value: v, path: p)
    }
}

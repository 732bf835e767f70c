import Foundation

/// Encodes `Encodable` values into a `JSONValue` (object keys sorted by bytes), for the one JSON writer.
public enum JSONEncoding {
    public static func value<T: Encodable>(_ v: T) throws -> JSONValue {
        let root = Box()
        try v.encode(to: ValueEncoder(box: root, path: []))
        return root.value()
    }

    /// The compact (or pretty) bytes of `v`.
    public static func bytes<T: Encodable>(_ v: T, pretty: Bool = false) throws -> [UInt8] {
        try JSONWriter.bytes(value(v), pretty: pretty)
    }
}

/// A node under construction: containers are filled after they are handed out, so they are references.
private final class Box {
    enum State { case empty, single(JSONValue), keyed([String: Box]), unkeyed([Box]) }
    var state = State.empty

    func value() -> JSONValue {
        switch state {
        case .empty: return JSONValue([(key: String, value: JSONValue)]())
        case .single(let v): return v
        case .keyed(let d): return JSONValue(d.mapValues { $0.value() })
        case .unkeyed(let a): return JSONValue(a.map { $0.value() })
        }
    }

    func keyed() -> Box {
        if case .keyed = state { return self }
        state = .keyed([:])
        return self
    }

    func child(_ key: String) -> Box {
        let b = Box()
        if case .keyed(var d) = state { d[key] = b; state = .keyed(d) } else { state = .keyed([key: b]) }
        return b
    }

    func append() -> Box {
        let b = Box()
        if case .unkeyed(var a) = state { a.append(b); state = .unkeyed(a) } else { state = .unkeyed([b]) }
        return b
    }
}

private struct ValueEncoder: Encoder, JSONCodingPath {
    let box: Box
    let path: [CodingKey]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedEnc<Key>(box: box.keyed(), path: path))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .unkeyed = box.state {} else { box.state = .unkeyed([]) }
        return UnkeyedEnc(box: box, path: path)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleEnc(box: box, path: path) }
}

private struct SingleEnc: SingleValueEncodingContainer, JSONCodingPath {
    let box: Box
    let path: [CodingKey]

    func set(_ v: JSONValue) { box.state = .single(v) }
    func double(_ d: Double) throws {
        guard d.isFinite else {
            throw FormatsError.unrepresentable(path: nil, keyPath: keyPath, what: "the number \(d) (JSON has no NaN or infinity)")
        }
        set(JSONValue(d))
    }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ v: Bool) throws { set(JSONValue(v)) }
    mutating func encode(_ v: String) throws { set(JSONValue(v)) }
    mutating func encode(_ v: Double) throws { try double(v) }
    mutating func encode(_ v: Float) throws { try double(Double(v)) }
    mutating func encode(_ v: Int) throws { set(JSONValue(v)) }
    mutating func encode(_ v: Int8) throws { set(JSONValue(Int(v))) }
    mutating func encode(_ v: Int16) throws { set(JSONValue(Int(v))) }
    mutating func encode(_ v: Int32) throws { set(JSONValue(Int(v))) }
    mutating func encode(_ v: Int64) throws { set(JSONValue(.integer(v))) }
    mutating func encode(_ v: UInt) throws { try unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt8) throws { set(JSONValue(Int(v))) }
    mutating func encode(_ v: UInt16) throws { set(JSONValue(Int(v))) }
    mutating func encode(_ v: UInt32) throws { set(JSONValue(Int(v))) }
    mutating func encode(_ v: UInt64) throws { try unsigned(v) }
    mutating func encode<T: Encodable>(_ v: T) throws { try v.encode(to: ValueEncoder(box: box, path: path)) }

    func unsigned(_ v: UInt64) throws {
        guard let i = Int64(exactly: v) else {
            throw FormatsError.unrepresentable(path: nil, keyPath: keyPath, what: "the integer \(v) (above Int64.max)")
        }
        set(JSONValue(.integer(i)))
    }
}

private struct KeyedEnc<Key: CodingKey>: KeyedEncodingContainerProtocol, JSONCodingPath {
    let box: Box
    let path: [CodingKey]

    mutating func encodeNil(forKey key: Key) throws { box.child(key.stringValue).state = .single(.null) }
    mutating func encode<T: Encodable>(_ v: T, forKey key: Key) throws {
        try v.encode(to: ValueEncoder(box: box.child(key.stringValue), path: path + [key]))
    }
    mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
        KeyedEncodingContainer(KeyedEnc<N>(box: box.child(key.stringValue).keyed(), path: path + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let b = box.child(key.stringValue)
        b.state = .unkeyed([])
        return UnkeyedEnc(box: b, path: path + [key])
    }
    mutating func superEncoder() -> Encoder { ValueEncoder(box: box.child("super"), path: path) }
    mutating func superEncoder(forKey key: Key) -> Encoder { ValueEncoder(box: box.child(key.stringValue), path: path + [key]) }
}

private struct UnkeyedEnc: UnkeyedEncodingContainer, JSONCodingPath {
    let box: Box
    let path: [CodingKey]
    var count: Int { if case .unkeyed(let a) = box.state { return a.count }; return 0 }

    mutating func encodeNil() throws { box.append().state = .single(.null) }
    mutating func encode<T: Encodable>(_ v: T) throws {
        let p = path + [AnyKey(intValue: count)]
        try v.encode(to: ValueEncoder(box: box.append(), path: p))
    }
    mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) -> KeyedEncodingContainer<N> {
        let p = path + [AnyKey(intValue: count)]
        return KeyedEncodingContainer(KeyedEnc<N>(box: box.append().keyed(), path: p))
    }
    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let p = path + [AnyKey(intValue: count)]
        let b = box.append()
        b.state = .unkeyed([])
        return UnkeyedEnc(box: b, path: p)
    }
    mutating func superEncoder() -> Encoder { ValueEncoder(box: box.append(), path: path) }
}

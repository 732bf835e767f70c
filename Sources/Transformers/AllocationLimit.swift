import Foundation

/// Sizes computed from input (sequence lengths, batch sizes, config values) are checked here before
/// anything is allocated, so a hostile length gives a message instead of a failed allocation.
///
/// The limit is the machine's physical memory, or `TRELLIS_MAX_ALLOCATION_GB` when set (a positive number).
public enum AllocationLimit {
    /// Bytes one request may ask for.
    public static let bytes: Int = {
        if let text = ProcessInfo.processInfo.environment["TRELLIS_MAX_ALLOCATION_GB"], let gb = Double(text),
           gb > 0, gb < 1e9 {
            return Int(gb * 1e9)
        }
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > 0 && physical < UInt64(Int.max) ? Int(physical) : Int.max
    }()

    /// The product of `dims`, or an error naming `what` when it overflows.
    public static func product(_ dims: [Int], _ what: @autoclosure () -> String) throws -> Int {
        var n = 1
        for d in dims {
            guard d >= 0 else { throw TransformersError.tooLarge(what: what(), detail: "a negative size in \(dims)") }
            let (r, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { throw TransformersError.tooLarge(what: what(), detail: "\(dims.map(String.init).joined(separator: " × ")) overflows") }
            n = r
        }
        return n
    }

    /// Element count of an F32 buffer of shape `dims`, checked against the limit.
    @discardableResult
    public static func floats(_ dims: [Int], _ what: @autoclosure () -> String) throws -> Int {
        let n = try product(dims, what())
        try check(bytes: n.multipliedReportingOverflow(by: 4).overflow ? Int.max : n * 4, what())
        return n
    }

    /// Throws when `bytes` exceeds the limit.
    public static func check(bytes: Int, _ what: @autoclosure () -> String) throws {
        guard bytes > self.bytes else { return }
        throw TransformersError.tooLarge(what: what(), detail: "would need \(gigabytes(bytes)) GB, more than the limit of "
            + "\(gigabytes(self.bytes)) GB (physical memory, or TRELLIS_MAX_ALLOCATION_GB)")
    }

    /// Adds sizes, saturating at Int.max instead of trapping.
    public static func sum(_ values: [Int]) -> Int {
        values.reduce(0) { a, b in let (r, o) = a.addingReportingOverflow(b); return o ? Int.max : r }
    }

    static func gigabytes(_ bytes: Int) -> String {
        bytes == Int.max ? "more than 9e9" : String(format: "%.1f", Double(bytes) / 1e9)
    }
}

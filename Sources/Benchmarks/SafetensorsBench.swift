import Foundation
import Tensors
import CLISupport

/// `trellis bench safetensors`: time to open (map + validate the header) and to read every float
/// tensor of a checkpoint, beside Python `safetensors` measured in the same run when available.
///
///     trellis bench safetensors [--file=PATH] [--repeat=N] [--python=PATH] [--json]
enum SafetensorsBench {
    static let summary = "open + read-all time of a .safetensors file, vs Python safetensors"

    static func run(_ args: inout Arguments) throws {
        let path = try args.option("file") ?? "../shared/models/all-MiniLM-L6-v2/model.safetensors"
        let repeats: Int = try args.option("repeat", default: 50)
        let python = try args.option("python")
        let json = args.flag("json")
        try args.finish()
        guard repeats > 0 else { throw ArgumentError.badValue("--repeat", String(repeats)) }

        var opens: [Double] = []
        var file: SafetensorsFile?
        for _ in 0..<repeats {
            let t = DispatchTime.now().uptimeNanoseconds
            file = try SafetensorsFile(path: path)
            opens.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
        }
        let f = file!
        let floatTensors = f.tensors.filter { [.f32, .bf16, .f16, .f64].contains($0.dtype) }
        let bytes = floatTensors.reduce(0) { $0 + $1.dataOffsets.count }
        var reads: [Double] = []
        for _ in 0..<max(1, repeats / 10) {
            let t = DispatchTime.now().uptimeNanoseconds
            var sink: Float = 0
            for info in floatTensors { sink += try f.floats(info.name).first ?? 0 }
            reads.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
            if sink.isNaN { print("", terminator: "") }  // keeps the reads alive
        }
        let ours = (open: median(opens), read: median(reads))
        let reference = pythonReference(path: path, repeats: repeats, python: python)

        if json {
            var o = "{\"file\":\"\(path)\",\"tensors\":\(f.tensors.count),\"bytes\":\(bytes),"
                + "\"open_ms\":\(fmt(ours.open)),\"read_ms\":\(fmt(ours.read))"
            if let r = reference { o += ",\"python_open_ms\":\(fmt(r.open)),\"python_read_ms\":\(fmt(r.read))" }
            print(o + "}")
            return
        }
        BenchHeader.print("safetensors")
        print("file: \(path)  (\(f.tensors.count) tensors, \(bytes / 1_000_000) MB of float data)")
        print("                      trellis     python      ratio (python/trellis)")
        for (label, a, b) in [("open (map+header)", ours.open, reference?.open),
                              ("read all as F32", ours.read, reference?.read)] {
            let ref = b.map { String(format: "%8.3f ms  %6.2f×", $0, $0 / a) } ?? "   (python safetensors unavailable)"
            print(label.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%8.3f ms  ", a) + ref)
        }
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    static func fmt(_ x: Double) -> String { String(format: "%.4f", x) }

    /// Runs scripts/bench/safetensors_open.py with `--python`, else $TRELLIS_PYTHON, else python3,
    /// when the script is found and that python has `safetensors`.
    static func pythonReference(path: String, repeats: Int, python explicit: String?) -> (open: Double, read: Double)? {
        guard let script = ReferenceScript("safetensors_open.py", python: explicit),
              let out = try? script.run([path, String(repeats)]), out.status == 0,
              let obj = out.json, let o = obj["open_ms"] as? Double, let r = obj["read_ms"] as? Double else { return nil }
        return (o, r)
    }
}

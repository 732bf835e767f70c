import Formats
import Foundation
import CLISupport

extension ModelBench {
    /// Runs scripts/bench/torch_model.py (with `arguments` selecting the shapes) with `$TRELLIS_PYTHON` (else python3) and
    /// returns its rows by key; empty when python or torch is unavailable.
    static func torchReference(threads: Int, quick: Bool, arguments: [String]) -> [String: Row] {
        guard let reference = ReferenceScript("torch_model.py") else {
            print("torch reference: scripts/bench/torch_model.py not found (run from the repository root)")
            return [:]
        }
        var arguments = ["--threads", "\(threads)"] + arguments
        if quick { arguments.append("--quick") }
        let data: Data, status: Int32
        do { let r = try reference.run(arguments); (data, status) = (r.data, r.status) } catch {
            print("torch reference: cannot run \(reference.interpreter) (\(error))")
            return [:]
        }
        var rows: [String: Row] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if !printedInfo, let obj = try? JSONReader.parse(Array(line.utf8)).foundation as? [String: Any],
               obj["bench"] as? String == "info" {
                printedInfo = true
                print("torch reference: " + describeInfo(obj))
            }
            guard let obj = try? JSONReader.parse(Array(line.utf8)).foundation as? [String: Any],
                  let kind = obj["bench"] as? String,
                  let seconds = obj["seconds"] as? Double, let tps = obj["tokens_per_s"] as? Double else { continue }
            let key: String
            let dtype = obj["dtype"] as? String ?? "f32"
            if kind == "forward", let m = obj["model"] as? String, let b = obj["batch"] as? Int, let l = obj["length"] as? Int {
                key = "forward/\(m)/\(dtype)/\(b)/\(l)"
            } else if kind == "decode", let m = obj["shape"] as? String {
                let batch = obj["batch"] as? Int ?? 1
                key = "decode/\(m)/\(dtype)" + (batch == 1 ? "" : "/\(batch)")
            } else { continue }
            rows[key] = Row(key: key, label: key, seconds: seconds, tokensPerSecond: tps)
        }
        if rows.isEmpty { print("torch reference: no figures (python exit status \(status))") }
        return rows
    }

    nonisolated(unsafe) static var printedInfo = false

    /// The reference's own account of itself: torch version, the CPU capability ATen dispatches to, and the
    /// instruction-set variables it was started with (AVX2 when Trellis' AVX-512 is forced off).
    static func describeInfo(_ obj: [String: Any]) -> String {
        var parts = ["torch \(obj["torch"] ?? "?")", "ATen CPU capability \(obj["cpu_capability"] ?? "?")"]
        if let env = obj["isa_env"] as? [String: String], !env.isEmpty {
            parts.append("started with " + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        if let policy = obj["omp_wait_policy"] { parts.append("OMP_WAIT_POLICY \(policy)") }
        return parts.joined(separator: ", ")
    }

    /// The table: ours, torch's, and the throughput ratio (> 1 = trellis faster); plus BF16/F32 decode speed-up.
    static func printTable(_ rows: [Row], reference: [String: Row], json: Bool) {
        if json {
            for r in rows {
                var obj: [String: Any] = ["bench": r.key, "seconds": r.seconds, "tokens_per_s": r.tokensPerSecond]
                if let t = reference[r.key] {
                    obj["torch_seconds"] = t.seconds
                    obj["torch_tokens_per_s"] = t.tokensPerSecond
                    obj["ratio"] = r.tokensPerSecond / t.tokensPerSecond
                }
                if let line = try? BenchJSON.line(obj) { print(line) }
            }
            return
        }
        print("")
        print("| benchmark | trellis s | trellis tok/s | torch s | torch tok/s | ratio |")
        print("|---|---|---|---|---|---|")
        for r in rows {
            let t = reference[r.key]
            let torchS = t.map { String(format: "%.4f", $0.seconds) } ?? "–"
            let torchT = t.map { String(format: "%.1f", $0.tokensPerSecond) } ?? "–"
            let ratio = t.map { String(format: "%.2f×", r.tokensPerSecond / $0.tokensPerSecond) } ?? "–"
            print("| \(r.key) | \(String(format: "%.4f", r.seconds)) | \(String(format: "%.1f", r.tokensPerSecond)) | \(torchS) | \(torchT) | \(ratio) |")
        }
        for shape in BenchShapes.pglm.map(\.name) {
            let f32 = "decode/\(shape)/f32", bf16 = "decode/\(shape)/bf16"
            guard let f = rows.first(where: { $0.key == f32 }), let b = rows.first(where: { $0.key == bf16 }) else { continue }
            print(String(format: "\nBF16 decode speed-up over F32 (\(shape)): trellis %.2f×", b.tokensPerSecond / f.tokensPerSecond)
                  + (reference[f32].flatMap { tf in reference[bf16].map { tb in
                        String(format: ", torch %.2f×", tb.tokensPerSecond / tf.tokensPerSecond) } } ?? ""))
        }
    }
}

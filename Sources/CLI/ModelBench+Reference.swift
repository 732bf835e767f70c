import Foundation

extension ModelBench {
    /// Runs scripts/bench/torch_model.py with `$TRELLIS_PYTHON` (or /work/venv/bin/python, or python3) and
    /// returns its rows by key; empty when python or torch is unavailable.
    static func torchReference(threads: Int, quick: Bool, models: [String], forward: Bool, decode: Bool)
        -> [String: Row]
    {
        let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("scripts/bench/torch_model.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            print("torch reference: \(script.path) not found (run from the repository root)")
            return [:]
        }
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["TRELLIS_PYTHON"], "/work/venv/bin/python"].compactMap { $0 }
        let python = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        let p = Process()
        // Import the real `safetensors` package before the script puts scripts/fixtures (which holds a
        // safetensors.py fixture generator) at the front of sys.path.
        let launcher = ["-c", "import sys, runpy, safetensors, safetensors.torch, tokenizers; sys.argv = sys.argv[1:]; "
                            + "runpy.run_path(sys.argv[0], run_name='__main__')", script.path]
        if let python {
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = launcher
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3"] + launcher
        }
        p.arguments! += ["--threads", "\(threads)", "--models", models.joined(separator: ",")]
        if quick { p.arguments!.append("--quick") }
        if !forward { p.arguments!.append("--no-forward") }
        if !decode { p.arguments!.append("--no-decode") }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch {
            print("torch reference: cannot run python (\(error))")
            return [:]
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var rows: [String: Row] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let kind = obj["bench"] as? String,
                  let seconds = obj["seconds"] as? Double, let tps = obj["tokens_per_s"] as? Double else { continue }
            let key: String
            if kind == "forward", let m = obj["model"] as? String, let b = obj["batch"] as? Int, let l = obj["length"] as? Int {
                key = "forward/\(m)/\(b)/\(l)"
            } else if kind == "decode", let d = obj["dtype"] as? String {
                key = "decode/\(d)"
            } else { continue }
            rows[key] = Row(key: key, label: key, seconds: seconds, tokensPerSecond: tps)
        }
        if rows.isEmpty { print("torch reference: no figures (python exit status \(p.terminationStatus))") }
        return rows
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
                if let data = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) {
                    print(String(decoding: data, as: UTF8.self))
                }
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
        if let f = rows.first(where: { $0.key == "decode/f32" }), let b = rows.first(where: { $0.key == "decode/bf16" }) {
            print(String(format: "\nBF16 decode speed-up over F32: trellis %.2f×", b.tokensPerSecond / f.tokensPerSecond)
                  + (reference["decode/f32"].flatMap { tf in reference["decode/bf16"].map { tb in
                        String(format: ", torch %.2f×", tb.tokensPerSecond / tf.tokensPerSecond) } } ?? ""))
        }
    }
}

// swift-tools-version:5.10
import PackageDescription

// Kernels must be compiled for a CPU with AVX2 + FMA: without target flags every SIMD FMA
// becomes a call to `fmaf` and GEMM runs ~100x slower (see DESIGN.md, "Performance habits").
// The manifest is compiled for the host, so `#if arch` picks the flags for the build machine.
#if arch(x86_64)
let cpuFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let cpuFlags: [SwiftSetting] = []
#endif
let fast: [SwiftSetting] = cpuFlags + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
// The AVX-512 GEMM kernel lives in its own target built for x86-64-v4; Tensors calls it only after
// detecting AVX-512 at run time, so the binary still runs on AVX2-only machines.
#if arch(x86_64)
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4", "-enforce-exclusivity=unchecked"])]
#else
let avx512Flags: [SwiftSetting] = []
#endif
// The AVX512_BF16 kernels (C intrinsics: Swift cannot emit vdpbf16ps), called only after run-time detection.
#if arch(x86_64)
let bf16Flags: [CSetting] = [.unsafeFlags(["-O3", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512bf16"])]
#else
let bf16Flags: [CSetting] = []
#endif
// AVX-512 C kernels (intrinsics where Swift's SIMD16 compares are scalarised), called only after run-time
// detection; no FP contraction, so their bits match the Swift kernels beside them.
#if arch(x86_64)
let avx512CFlags: [CSetting] = [.unsafeFlags(["-O3", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl",
                                              "-ffp-contract=off"])]
#else
let avx512CFlags: [CSetting] = []
#endif

let package = Package(
    name: "Trellis",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "trellis", targets: ["CLI"]),
        .executable(name: "trellis-supervise", targets: ["trellis-supervise"]),
    ],
    targets: [
        // System libraries, found through pkg-config (Debian: libzstd-dev, libxml2-dev, zlib1g-dev).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Engine layer: numeric core, runtime, tokenizers, IO, pipeline engine.
        // Formats: the one JSON reader/writer and the one atomic file writer (Foundation only, bottom layer).
        .target(name: "Formats"),
        // Plots: the SVG figures (lines, confusion matrices, timelines, stage graphs) of apps and run reports.
        .target(name: "Plots"),
        .target(name: "TensorsAVX512", dependencies: ["CKernelsBF16"], swiftSettings: avx512Flags),
        .target(name: "CKernelsBF16", cSettings: bf16Flags),
        .target(name: "CKernelsAVX512", cSettings: avx512CFlags),
        .target(name: "Tensors", dependencies: ["Formats", "TensorsAVX512", "CKernelsBF16", "CKernelsAVX512"], swiftSettings: fast),
        .target(name: "Transformers", dependencies: ["Formats", "Tensors"], swiftSettings: fast),
        .target(name: "Tokenizers", dependencies: ["Formats"], swiftSettings: fast),
        .target(name: "DataIO", dependencies: ["Formats", "Tensors", "CZstd", "CZlib", "CLibXML2"], swiftSettings: cpuFlags),
        // fork/exec of stage commands under a supervisor that kills them when the runner dies.
        .target(name: "CProcess"),
        .executableTarget(name: "trellis-supervise", dependencies: ["CProcess"], path: "Sources/TrellisSupervise"),
        .target(name: "PipelineEngine", dependencies: ["Formats", "Plots", "DataIO", "CProcess"], swiftSettings: cpuFlags),
        // Stages over sequence files that need no model (fasta.filter/split/sample), registered by the executable.
        .target(name: "SequenceStages", dependencies: ["Tensors", "DataIO", "PipelineEngine"], swiftSettings: cpuFlags),

        // Applications: they never import each other.
        .target(name: "ProteinLM",
                dependencies: ["Formats", "Plots", "Tensors", "Transformers", "Tokenizers", "DataIO", "PipelineEngine"],
                swiftSettings: fast),
        .target(name: "PromptAlign",
                dependencies: ["Formats", "Plots", "Tensors", "Transformers", "Tokenizers", "DataIO", "PipelineEngine"],
                swiftSettings: fast),

        // `trellis forward`: any supported checkpoint run on FASTA or text, every output to one .safetensors.
        .target(name: "ModelForward", dependencies: ["Tensors", "Transformers", "Tokenizers", "DataIO"], swiftSettings: fast),

        // Fuzz entry points for every reader of user files (scripts/fuzz/build.sh links them with libFuzzer;
        // FuzzTargetsTests replays the committed corpora through them). Not part of the `trellis` binary.
        .target(name: "FuzzTargets", dependencies: ["Formats", "Tensors", "Transformers", "Tokenizers", "DataIO", "PipelineEngine", "SequenceStages"]),

        // Command-line plumbing shared by the commands and the benchmarks: Arguments, stdout/stderr streams.
        .target(name: "CLISupport", dependencies: ["PipelineEngine"]),
        // `trellis bench …` programs: our figure next to the numpy/torch/Snakemake reference run in the same run.
        .target(name: "Benchmarks",
                dependencies: ["CLISupport", "Formats", "Tensors", "Transformers", "Tokenizers", "DataIO",
                               "PipelineEngine", "ProteinLM", "PromptAlign"],
                swiftSettings: cpuFlags),
        // The `trellis` commands as a library (every command), so tests can call them in-process.
        .target(name: "TrellisCLI",
                dependencies: ["CLISupport", "Benchmarks", "ModelForward", "Formats", "Tensors", "Transformers", "Tokenizers", "DataIO",
                               "PipelineEngine", "SequenceStages", "ProteinLM", "PromptAlign"],
                swiftSettings: cpuFlags),
        // The `trellis` executable: a thin main over TrellisCLI.
        .executableTarget(name: "CLI", dependencies: ["TrellisCLI", "PipelineEngine"], swiftSettings: cpuFlags),

        // Tests: one target per library target, plus shared support.
        .target(name: "_TestSupport", dependencies: ["Tensors", "PipelineEngine"], path: "Tests/_TestSupport"),
        .testTarget(name: "FormatsTests", dependencies: ["Formats"]),
        .testTarget(name: "PlotsTests", dependencies: ["Plots"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "_TestSupport"], swiftSettings: cpuFlags),
        .testTarget(name: "TransformersTests", dependencies: ["Transformers", "Tokenizers", "_TestSupport"], swiftSettings: cpuFlags),
        .testTarget(name: "TokenizersTests", dependencies: ["Formats", "Tokenizers", "_TestSupport"]),
        .testTarget(name: "DataIOTests", dependencies: ["Formats", "Tensors", "DataIO", "_TestSupport"]),
        .testTarget(name: "PipelineEngineTests", dependencies: ["PipelineEngine", "SequenceStages", "_TestSupport"]),
        .testTarget(name: "ProteinLMTests", dependencies: ["ProteinLM", "_TestSupport"]),
        .testTarget(name: "PromptAlignTests", dependencies: ["PromptAlign", "_TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["CLISupport", "TrellisCLI", "_TestSupport"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "_TestSupport"]),
    ]
)

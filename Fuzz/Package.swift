// swift-tools-version:6.0
// libFuzzer harnesses for genstudio's file readers, one executable per reader. A package of its own so
// that the main build and tests never see the sanitizer flags: `scripts/fuzz` builds it with
// `-sanitize=fuzzer,address` (docs/fuzzing.md).
import PackageDescription

let readers = ["safetensors", "idx", "png", "jpeg", "wav", "recipe", "state", "manifest"]

let package = Package(
    name: "genstudio-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "genstudio", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
    ] + readers.map { reader in
        .executableTarget(name: "fuzz-\(reader)", dependencies: [
            "FuzzSupport",
            .product(name: "StudioIO", package: "genstudio"),
            .product(name: "StudioTraining", package: "genstudio"),
        ], path: "Sources/\(reader)",
        // gold fails on the entry point SwiftPM renames beside libFuzzer's runtime; the toolchain's lld links it.
        linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
    },
    swiftLanguageModes: [.v5]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "genstudio",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "genstudio", targets: ["genstudio"]),
        .library(name: "StudioCore", targets: ["StudioCore"]),
        .library(name: "StudioNN", targets: ["StudioNN"]),
        .library(name: "StudioOptim", targets: ["StudioOptim"]),
        .library(name: "StudioIO", targets: ["StudioIO"]),
        .library(name: "StudioAudio", targets: ["StudioAudio"]),
        .library(name: "StudioModels", targets: ["StudioModels"]),
        .library(name: "StudioEval", targets: ["StudioEval"]),
        .library(name: "StudioTraining", targets: ["StudioTraining"]),
        .library(name: "StudioServer", targets: ["StudioServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // `genstudio studio`: the web app's HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
        // `swift package generate-documentation` (scripts/docs): API pages from the DocC catalogs.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate",
                       providers: [.apt(["libsamplerate0-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi",
                       providers: [.apt(["libopenmpi-dev"])]),

        // Arithmetic-bound elementwise loops, built once per x86 instruction set and picked at run time.
        // Optimised in debug builds too, so that tests check the vectorised code that release builds run.
        // No errno from sqrtf, so that it vectorises.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2", "-fno-math-errno"])]),
        .target(name: "StudioCore", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "StudioNN", dependencies: ["StudioCore"]),
        .target(name: "StudioOptim", dependencies: ["StudioCore", "StudioNN", "CKernels"]),
        .target(name: "StudioIO", dependencies: ["StudioCore", "CPNG", "CTurboJPEG", "CSndFile", "CSampleRate", "CZlib"]),
        .target(name: "StudioAudio", dependencies: ["StudioCore", "StudioIO", "CFFTW"]),
        .target(name: "StudioModels", dependencies: ["StudioCore", "StudioNN"]),
        .target(name: "StudioEval", dependencies: ["StudioCore"]),
        .target(name: "StudioTraining", dependencies: [
            "StudioCore", "StudioNN", "StudioOptim", "StudioIO", "StudioModels", "StudioEval", "StudioAudio", "CMPI",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "StudioServer", dependencies: [
            "StudioCore", "StudioIO", "StudioTraining",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .executableTarget(name: "genstudio", dependencies: [
            "StudioCore", "StudioNN", "StudioOptim", "StudioIO", "StudioModels", "StudioEval", "StudioTraining", "StudioAudio", "StudioServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], plugins: ["BuildCommit"]),
        .plugin(name: "BuildCommit", capability: .buildTool()),

        .testTarget(name: "StudioCoreTests", dependencies: ["StudioCore", "CKernels"]),
        .testTarget(name: "StudioNNTests", dependencies: ["StudioCore", "StudioNN"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StudioEvalTests", dependencies: ["StudioCore", "StudioEval"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StudioIOTests", dependencies: ["StudioCore", "StudioIO"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StudioAudioTests", dependencies: ["StudioCore", "StudioIO", "StudioAudio"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StudioModelsTests", dependencies: ["StudioCore", "StudioNN", "StudioIO", "StudioModels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StudioTrainingTests", dependencies: [
            "StudioCore", "StudioNN", "StudioOptim", "StudioIO", "StudioModels", "StudioEval", "StudioTraining", "StudioAudio",
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "StudioServerTests", dependencies: [
            "StudioCore", "StudioIO", "StudioTraining", "StudioServer",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "StudioOptimTests", dependencies: ["StudioCore", "StudioNN", "StudioOptim"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)

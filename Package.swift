// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "sicha",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sicha", targets: ["sicha"]),
        .library(name: "SiChaCore", targets: ["SiChaIO", "SiChaCore", "SiChaReport"]),
        .library(name: "SiChaGenerate", targets: ["SiChaGenerate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "SiChaIO", dependencies: ["CZstd"]),
        .target(name: "SiChaCore", dependencies: ["SiChaIO"]),
        .target(name: "SiChaReport", dependencies: ["SiChaCore", "SiChaIO"]),
        .target(name: "SiChaGenerate", dependencies: ["SiChaCore", "SiChaIO", "CZstd"]),
        .executableTarget(name: "sicha", dependencies: [
            "SiChaReport", "SiChaCore", "SiChaIO", "SiChaGenerate",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "SiChaIOTests", dependencies: ["SiChaIO"]),
        .testTarget(name: "SiChaCoreTests", dependencies: ["SiChaCore", "SiChaIO", "SiChaGenerate", "CZstd"]),
        .testTarget(name: "SiChaReportTests", dependencies: ["SiChaReport", "SiChaCore", "SiChaIO"]),
        .testTarget(name: "SiChaEndToEndTests", dependencies: ["sicha"]),
        .testTarget(name: "SiChaGenerateTests", dependencies: ["SiChaGenerate", "SiChaCore", "SiChaIO", "CZstd"]),
    ]
)

// swift-tools-version:6.1
// Benchmarks of sicha's stages, kept out of the main package so that its build never pulls in
// package-benchmark. Run: swift package benchmark --target SiChaBenchmarks
import PackageDescription

let package = Package(
    name: "SiChaBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "sicha", path: "../"),
        // The malloc interposer alone: allocation counts without jemalloc.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.29.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SiChaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SiChaCore", package: "sicha"),
                .product(name: "SiChaGenerate", package: "sicha"),
            ],
            path: "SiChaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

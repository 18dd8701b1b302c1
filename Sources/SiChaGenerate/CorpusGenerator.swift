import Dispatch
import SiChaCore
import SiChaIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The arguments of `sicha generate`.
public struct GeneratorOptions: Sendable {
    /// Number of people to make.
    public var persons: Int
    public var seed: UInt64
    /// Output folder, created when missing.
    public var directory: String
    /// The day the registers are said to have been extracted: no birth date is after it.
    public var asOf: CivilDate
    /// The school year `Y` (starting 1 September of `Y`) that ages are counted in.
    public var schoolYear: Int
    /// Two-digit province code (GB/T 2260): division codes and most IDs start with it.
    public var province: Int
    /// Uncompressed bytes per zstd frame (frames end at a record's end). Each frame can be read by
    /// a thread of its own; larger ones hold more in memory while they are read, and compress
    /// little better (1 MiB frames take about 0.4% more room than 8 MiB ones).
    public var frameSize: Int
    /// Several files per dataset in the formats of contract section 1, instead of one zstd file each.
    public var variants: Bool

    public init(persons: Int, seed: UInt64, directory: String, asOf: CivilDate, schoolYear: Int,
                province: Int = 53, frameSize: Int = 1 << 20, variants: Bool = false) {
        self.persons = persons
        self.seed = seed
        self.directory = directory
        self.asOf = asOf
        self.schoolYear = schoolYear
        self.province = province
        self.frameSize = frameSize
        self.variants = variants
    }
}

/// One file of a generated corpus.
public struct GeneratedFile: Sendable {
    public var dataset: Dataset
    /// File name inside the output folder.
    public var name: String
    /// Data rows written (rejects included): what a reader counts as rows read.
    public var rows: Int
    /// Rows planted to be rejected.
    public var rejects: Int
    /// Size on disk.
    public var bytes: Int
}

/// What `CorpusGenerator.run()` wrote.
public struct GeneratedCorpus: Sendable {
    /// The register files, datasets in contract order, files in the order a run should be given them.
    public var files: [GeneratedFile]
    /// Rows of `truth.csv`.
    public var truthRows: Int
    public var persons: Int
}

/// Writes a synthetic prefecture (households, schools, poverty register) as the four registers,
/// with planted anomalies, `truth.csv` (the findings the contract says the engine must report)
/// and `manifest.json`.
///
/// The same options give byte-identical files. Households are made and written one at a time, so
/// memory does not grow with the number of people; compression runs on other threads.
public struct CorpusGenerator: Sendable {
    public let options: GeneratorOptions

    public init(options: GeneratorOptions) { self.options = options }

    /// Makes the corpus in `options.directory`.
    public func run() throws(GenerateError) -> GeneratedCorpus {
        let o = options
        do { try makeFolders(o.directory) } catch {
            throw GenerateError("cannot create the output folder: \(error.message)")
        }
        let geography = Geography(province: o.province)
        var builder = PopulationBuilder(geography: geography, seed: o.seed, asOf: o.asOf, schoolYear: o.schoolYear,
                                        variants: o.variants)
        var formatRandom = SeededRandom(seed: o.seed ^ 0x5349_4348_4146_4D54)
        let limit = DispatchSemaphore(value: 4)

        // Each county gets a share of the people by its weight.
        let counties = geography.counties.count
        let total = geography.counties.reduce(0) { $0 + $1.weight }
        var targets: [Int] = []
        var cumulative = 0.0
        for county in geography.counties {
            cumulative += county.weight
            targets.append(min(o.persons, Int((Double(o.persons) * cumulative / total).rounded())))
        }
        targets[counties - 1] = o.persons

        var truth = OutputBuffer(sink: try FrameSink(path: o.directory + "/truth.csv", level: nil, limit: limit), frameSize: 1 << 20)
        truth.bytes("code,dataset,id\n")
        var truthRows = 0
        var files: [GeneratedFile] = []
        var made = 0
        let groups = o.variants ? 3 : 1
        for group in 0..<groups {
            var writers: [TableWriter] = []
            for dataset in Dataset.allCases {
                let format = o.variants ? TableFormat.variant(dataset, index: group, random: &formatRandom) : .standard(dataset)
                writers.append(try TableWriter(format: format, directory: o.directory, frameSize: o.frameSize, limit: limit))
            }
            for county in 0..<counties where county * groups / counties == group {
                while made < targets[county] {
                    builder.next(county: county, limit: targets[county] - made)
                    let h = builder.household
                    for r in h.hukou { writers[0].write(r, h.persons[r.person]) }
                    for r in h.xueji { writers[1].write(r, h.persons[r.person]) }
                    for r in h.roster { writers[2].write(r, h.persons[r.person]) }
                    for r in h.poverty { writers[3].write(r, h.persons[r.person]) }
                    ExpectedFindings.derive(h) { code, dataset, person, form in
                        truth.bytes(code.rawValue)
                        truth.byte(UInt8(ascii: ","))
                        truth.bytes(dataset.name)
                        truth.byte(UInt8(ascii: ","))
                        truth.id(form, h.persons[person])
                        truth.byte(0x0A)
                        truth.recordEnded()
                        truthRows += 1
                    }
                    made += h.persons.count
                }
            }
            for var writer in writers {
                let bytes = try writer.finish()
                files.append(GeneratedFile(dataset: writer.format.dataset, name: writer.format.fileName,
                                           rows: writer.rows, rejects: writer.rejects, bytes: bytes))
            }
        }
        try truth.finish()
        files.sort { $0.dataset < $1.dataset }
        try writeManifest(files: files, truthRows: truthRows, limit: limit)
        return GeneratedCorpus(files: files, truthRows: truthRows, persons: made)
    }

    private func writeManifest(files: [GeneratedFile], truthRows: Int, limit: DispatchSemaphore) throws(GenerateError) {
        let o = options
        func list(_ dataset: Dataset, _ value: (GeneratedFile) -> String) -> String {
            "\"\(dataset.name)\": [" + files.filter { $0.dataset == dataset }.map(value).joined(separator: ", ") + "]"
        }
        func object(_ value: @escaping (GeneratedFile) -> String) -> String {
            "{\n    " + Dataset.allCases.map { list($0, value) }.joined(separator: ",\n    ") + "\n  }"
        }
        let province = o.province < 10 ? "0\(o.province)" : "\(o.province)"
        let text = """
            {
              "seed": \(o.seed),
              "persons": \(o.persons),
              "school_year": \(o.schoolYear),
              "as_of": "\(o.asOf)",
              "province": "\(province)",
              "variants": \(o.variants),
              "frame_size": \(o.frameSize),
              "files": \(object { "\"\($0.name)\"" }),
              "rows": \(object { "\($0.rows)" }),
              "rejects": \(object { "\($0.rejects)" }),
              "truth": "truth.csv",
              "truth_rows": \(truthRows)
            }

            """
        var out = OutputBuffer(sink: try FrameSink(path: o.directory + "/manifest.json", level: nil, limit: limit),
                               frameSize: text.utf8.count + 1)
        out.bytes(text)
        try out.finish()
    }
}

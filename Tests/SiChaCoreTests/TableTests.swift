import Dispatch
import Foundation
import SiChaIO
import SiChaGenerate
import Testing
@testable import SiChaCore

@Suite struct RegionSourceNumbersTests {
    /// Through the table's growth, every source keeps the number it was first given, and `make`
    /// is asked once a source; sources that differ in one field only are told apart.
    @Test func numbersEachSourceOnce() {
        var table = RegionSourceNumbers()
        var made = 0
        let sources = (0..<5000).map { (i: Int) -> RegionSource in
            let code: UInt64 = 530_102_000_000 + UInt64(i / 14)
            return RegionSource(fromRegion: i % 2 == 0, file: UInt16(i % 7), packed: TextRef.inline | code)
        }
        for round in 0..<2 {
            for (i, source) in sources.enumerated() {
                let n = table.number(of: source) { made += 1; return Int32(i) }
                #expect(n == Int32(i), "round \(round), source \(i)")
            }
        }
        #expect(made == sources.count)
    }
}

@Suite struct KeySetTests {
    /// Membership agrees with `Set` through growth, duplicates, and after a summary is made; an
    /// insert after `summarize()` is still found.
    @Test func agreesWithASet() {
        var random = SeededRandom(seed: 7)
        var keys = KeySet(capacity: 4)
        var reference = Set<UInt64>()
        for _ in 0..<50_000 {
            // Keys shaped like packed IDs, with many repeats.
            let key = 1 + random.next() % 80_000 * 1_000_003
            #expect(keys.insert(key) == reference.insert(key).inserted)
        }
        #expect(keys.count == reference.count)
        keys.summarize()
        var absent = 0, passed = 0
        for _ in 0..<200_000 {
            let key = 1 + random.next() % 160_000 * 1_000_003
            #expect(keys.contains(key) == reference.contains(key))
            if !reference.contains(key) {
                absent += 1
                if keys.mayContain(key) { passed += 1 }
            }
        }
        // The summary answers nearly all misses by itself (16 bits a key: about 2% get through).
        #expect(absent > 50_000 && passed * 20 < absent, "\(passed) of \(absent)")
        let late: UInt64 = 999_999_999_999
        #expect(!keys.contains(late))
        keys.insert(late)
        #expect(keys.contains(late))
    }

    /// A set made from an array (inserted in slot order) holds exactly its keys, repeats once.
    @Test func madeFromKeysHoldsThem() {
        var random = SeededRandom(seed: 11)
        for count in [0, 1, 5000, 100_000] {
            let keys = (0..<count).map { _ in 1 + random.next() % UInt64(max(1, count)) * 1_000_003 }
            let set = KeySet(keys), reference = Set(keys)
            #expect(set.count == reference.count)
            for key in keys.prefix(1000) { #expect(set.contains(key)) }
            for key in (0..<2000).map({ _ in 1 + random.next() % 200_000 * 1_000_003 }) {
                #expect(set.contains(key) == reference.contains(key))
            }
        }
    }
}

@Suite struct RepeatedKeysTests {
    /// `KeyLines.repeated` adds to each file's hukou records exactly the `normal` records whose key
    /// is counted more than once, whether the repeats are within one file or across files, with
    /// their lines and their names and regions as read (then trimmed, as any text); and finds
    /// exactly the probed keys that no record holds, whatever its status; for any thread count;
    /// whether the parts and texts stay in memory, are written to a temporary file as they fill
    /// (also those appended from another file's), or cannot be written (a folder that is not there).
    @Test(arguments: [1, 3], [(1 << 20, TemporaryFile.directory), (50, TemporaryFile.directory), (50, "/nonexistent")])
    func findsExactlyTheRecordsOfKeysSeenTwice(threads: Int, writing: (above: Int, directory: String)) throws {
        var random = SeededRandom(seed: 11)
        // Keys of valid IDs (KeyLines holds them in six bytes): regions, birth dates from 1900 to
        // 2252, sequences; and the first and last that six bytes hold.
        let regions: [UInt64] = [110105, 530102, 839999]
        let pool = (0..<100_000).map { _ -> UInt64 in
            let y = UInt64.random(in: 1900...2252, using: &random), m = UInt64.random(in: 1...12, using: &random)
            let d = UInt64.random(in: 1...(m == 2 ? 28 : 30), using: &random)
            return regions.randomElement(using: &random)! * 100_000_000_000 + (y * 10000 + m * 100 + d) * 1000
                + UInt64.random(in: 0...999, using: &random)
        }
        let files = (0..<3).map { _ in (0..<20_000).map { _ in pool[Int(random.next() % 40_000)] } }
        // Keys of records of other statuses, many the same as keys of `normal` records.
        let others = (0..<3).map { _ in (0..<2_000).map { _ in pool[Int(random.next() % 80_000)] } }
        var counts: [UInt64: Int] = [:]
        for file in files { for key in file { counts[key, default: 0] += 1 } }
        // Names with spaces around, empty regions, and texts longer than 127 and than 256 bytes.
        func name(_ f: Int, _ i: Int) -> String {
            i % 1000 == 3 ? String(repeating: "长", count: 100) : i % 7 == 0 ? " 名\(f)-\(i)\u{3000}" : "名\(f)-\(i)"
        }
        func region(_ f: Int, _ i: Int) -> String { i % 5 == 0 ? "" : i % 11 == 0 ? "区\(i)" : "\(530_102_000_000 + i)" }
        // Each file's keys arrive in two parts, the second counting its lines after the first's.
        let stores = files.indices.map { f in
            var first = KeyLines(), second = KeyLines()
            (first.writeAbove, first.directory, second.writeAbove, second.directory) = (writing.above, writing.directory, writing.above, writing.directory)
            let lines = files[f].indices.map { $0 < 5_000 ? $0 + 2 : $0 - 5_000 + 1 }
            func add(_ range: Range<Int>, to store: inout KeyLines) {
                var texts: [UInt8] = []
                let batch = range.map { i in
                    var (n, r) = (name(f, i), region(f, i))
                    let text = n.withUTF8 { n in r.withUTF8 { r in KeyLines.keep(name: UnsafeRawBufferPointer(n), region: UnsafeRawBufferPointer(r), in: &texts) } }
                    return (files[f][i], lines[i], text)
                }
                store.add(batch, texts: texts)
            }
            // (Added in batches of various sizes, down to one key.)
            for range in [0..<1, 1..<2, 2..<1_000, 1_000..<5_000] { add(range, to: &first) }
            for range in [5_000..<5_001, 5_001..<20_000] { add(range, to: &second) }
            for (i, key) in others[f].enumerated() { if i % 2 == 0 { first.add(other: key) } else { second.add(other: key) } }
            first.append(second, linesBefore: 5_001)
            return first
        }
        // Written parts and texts leave fewer than `writeAbove` bytes a part, and 8 times that of
        // texts, in memory; else all 22,000 keys are there.
        let written = writing.above < 1 << 20 && writing.directory == TemporaryFile.directory
        for store in stores {
            #expect(written ? store.keysInMemory < KeyLines.parts * writing.above / 7 && store.textsInMemory < 8 * writing.above
                            : store.keysInMemory == 22_000)
        }
        let probe = (0..<5_000).map { _ in pool[Int(random.next() % 100_000)] }
        let held = Set(files.joined()).union(others.joined())
        var extracts = stores.enumerated().map { f, store in
            var extract = FileExtract(file: InputFile(dataset: .hukou, path: "hukou\(f).csv", index: f + 1))
            extract.population = store
            return extract
        }
        let absent = try KeyLines.repeated(in: &extracts, absentOf: probe, threads: threads)
        #expect(counts.values.filter { $0 > 1 }.count > 1000)
        for (f, keys) in files.enumerated() {
            let expected = keys.indices.filter { counts[keys[$0]]! > 1 }
            let found = extracts[f].hukou.sorted { $0.location < $1.location }
            func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespaces) }
            #expect(found.map(\.location) == expected.map { Location(file: f + 1, line: $0 + 2) })
            #expect(found.map(\.key) == expected.map { keys[$0] } && found.allSatisfy { $0.status == .normal })
            #expect(found.map { extracts[f].arena.string($0.name) } == expected.map { trimmed(name(f, $0)) })
            #expect(found.map { extracts[f].arena.string($0.region) } == expected.map { trimmed(region(f, $0)) })
            #expect(extracts[f].population.keysInMemory == 0)
        }
        let missing = Set(probe.filter { !held.contains($0) })
        #expect(absent.count == missing.count && missing.count > 1000 && missing.count < probe.count - 1000)
        for key in probe { #expect(absent.contains(key) == missing.contains(key)) }
        for key in pool + [11_010_519_000_101_000, 83_999_926_031_231_999] {
            #expect(KeyLines.key(packed: KeyLines.packed(key)) == key && KeyLines.packed(key) < 1 << 48)
        }
        var none: [FileExtract] = []
        #expect(try KeyLines.repeated(in: &none, absentOf: probe, threads: threads).count == Set(probe).count)
    }
}

@Suite struct PovertyAsideTests {
    /// The records set aside leave their extracts and come back to them, all their fields whole,
    /// exactly as asked; their keys are read back after the others given, and the keys set aside
    /// twice are known. Without a temporary file nothing is set aside.
    @Test(arguments: [TemporaryFile.directory, "/nonexistent"])
    func recordsComeBackAsAsked(directory: String) throws {
        var random = SeededRandom(seed: 3)
        var extracts = [7_000, 0, 12_345].enumerated().map { f, count in
            var e = FileExtract(file: InputFile(dataset: .poverty, path: "poverty\(f).csv", index: f))
            for line in 0..<count {
                let key = 530_102_198_001_010_000 + random.next() % 20_000, name = "名\(f)-\(line)"
                e.poverty.append(name.withCString { n in
                    PovertyRecord(key: key, location: Location(file: f, line: line + 2),
                                  household: e.arena.add(UnsafeRawBufferPointer(start: n, count: strlen(n))),
                                  name: e.arena.add(UnsafeRawBufferPointer(start: n, count: strlen(n))), region: TextRef(offset: 0, count: 0),
                                  category: PovertyCategory(rawValue: UInt8(line % 5))!, groups: SpecialGroups(rawValue: UInt8(line % 32)))
                })
            }
            return e
        }
        let original = extracts.map(\.poverty)
        func asideOf(_ key: UInt64) -> Bool { key % 3 != 0 }
        let aside = PovertyAside(&extracts, directory: directory, where: asideOf)
        let written = directory == TemporaryFile.directory
        let setAside = original.joined().map(\.key).filter { written && asideOf($0) }
        #expect(setAside.count > 10_000 || !written)
        for (f, e) in extracts.enumerated() { #expect(e.poverty.map(\.location) == original[f].filter { !written || !asideOf($0.key) }.map(\.location)) }
        #expect(try aside.keys(after: [1, 2]) == [1, 2] + setAside)
        let twice = Set(Dictionary(grouping: setAside) { $0 }.filter { $0.value.count > 1 }.keys)
        #expect(twice.count > 1000 && aside.repeated.count == twice.count && twice.allSatisfy(aside.repeated.contains) || !written)
        func wanted(_ key: UInt64) -> Bool { key % 2 == 0 }
        try aside.restore(into: &extracts, where: wanted)
        for (f, e) in extracts.enumerated() {
            let expected = original[f].filter { !written || !asideOf($0.key) || wanted($0.key) }
            let back = e.poverty.sorted { $0.location < $1.location }
            #expect(back.map(\.location) == expected.map(\.location) && back.map(\.key) == expected.map(\.key))
            #expect(back.map { e.arena.string($0.name) } == expected.map { e.arena.string($0.name) })
            #expect(back.map { e.arena.string($0.household) } == expected.map { e.arena.string($0.household) })
            #expect(back.map(\.category) == expected.map(\.category) && back.map(\.groups.rawValue) == expected.map(\.groups.rawValue))
        }
    }
}

@Suite struct TableSortTests {
    struct Row: KeyedRecord { var key: UInt64; var location: Location }

    /// The in-place sort gives the order of the standard library's sort by (key, location), on
    /// random tables with many equal keys and with keys spread as far as IDs are, on sorted and
    /// reversed tables, through its buckets down to a few records and through its heapsort.
    @Test(arguments: [(nil, 1 << 12), (0, 1 << 12), (3, 1 << 12), (nil, 16), (0, 1)] as [(Int?, Int)])
    func ordersLikeTheStandardSort(depthLimit: Int?, radixAbove: Int) {
        var random = SeededRandom(seed: 5)
        for count in [0, 1, 2, 17, 100, 5000, 20000] {
            for spread in [UInt64(max(1, count / 4)), 1 << 57] {
                let rows = (0..<count).map { i in
                    Row(key: 1 + random.next() % spread, location: Location(file: Int(random.next() % 3), line: i))
                }
                let expected = rows.sorted { $0.key != $1.key ? $0.key < $1.key : $0.location < $1.location }
                for input in [rows, expected, expected.reversed()] {
                    var table = input
                    sortByKey(&table, depthLimit: depthLimit, radixAbove: radixAbove)
                    #expect(table.map(\.key) == expected.map(\.key) && table.map(\.location) == expected.map(\.location))
                }
            }
        }
    }
}

@Suite struct GrowthTests {
    /// An array that must grow grows to the projected size of the whole file, at least to double
    /// and at most to 64 times or 1 GiB, whichever is more; with room left, or without a
    /// projection, it is left as it is. (Room never used takes no memory.)
    @Test func arraysGrowToWhatTheFileWillNeed() {
        var a = [Int](0..<10)
        let start = a.capacity
        reserve(&a, start - 10, 4.0, basis: 10)
        #expect(a.capacity == start)
        reserve(&a, start, nil, basis: 10)
        #expect(a.capacity == start)
        reserve(&a, 5, 40.0, basis: 15)
        #expect(a.capacity >= 600 && a == Array(0..<10))
        var huge = [Int](0..<10)
        reserve(&huge, huge.capacity, 1e6, basis: 10)
        #expect(huge.capacity >= 10_000_000 && huge.capacity < 11_000_000)
        var vast = [Int](0..<10)
        reserve(&vast, vast.capacity, 1e12, basis: 10)
        #expect(vast.capacity >= (1 << 30) / 8 && vast.capacity < (1 << 30) / 8 + 1000 && vast == Array(0..<10))
        var wide = [(UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)](repeating: (0, 0, 0, 0, 0, 0, 0, 0), count: 300_000)
        reserve(&wide, wide.capacity, 1e12, basis: 10)
        #expect(wide.capacity >= 64 * 600_000 && wide.capacity < 64 * 600_000 + 64 * 1000)
        var b = [Int](0..<100)
        let full = b.capacity
        reserve(&b, full, 1.0, basis: 100)
        #expect(b.capacity >= (100 + full) * 2 && b == Array(0..<100))
    }
}

@Suite struct TextArenaTests {
    /// Spaces, tabs and U+3000 go from both ends, nothing else: not a character whose last byte is
    /// also U+3000's (耀, E8 80 80), not a space inside.
    @Test func trimsSpacesAtBothEnds() {
        let cases = [("张三", "张三"), (" 张三\t", "张三"), ("\u{3000}张 三\u{3000}", "张 三"), ("耀", "耀"), ("\u{3000}耀", "耀"),
                     ("张三\u{3000}", "张三"), ("\u{3000}张三", "张三"), ("a", "a"), ("", ""), (" \t\u{3000} ", ""), ("5301 ", "5301")]
        for (text, trimmed) in cases {
            let result = Array(text.utf8).withUnsafeBytes { String(decoding: $0.trimmingSpaces(), as: UTF8.self) }
            #expect(result == trimmed, "\(text)")
        }
    }

    /// Codes of 1 to 17 digits live in the reference (leading zeros kept), other text in the arena;
    /// either reads back as written, trimmed, and compares equal only to the same text.
    @Test func codesAreHeldInTheReference() {
        var arena = TextArena(), other = TextArena()
        let texts = ["530102007206", "007", "12345678901234567", "123456789012345678", "张三", " 0 ", "", "53010A"]
        let refs = texts.map { t in Array(t.utf8).withUnsafeBytes { arena.add($0) } }
        let again = texts.map { t in Array(t.utf8).withUnsafeBytes { other.add($0) } }
        #expect(refs.map(arena.string) == texts.map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(refs.map(\.isInline) == [true, true, true, false, false, true, false, false])
        #expect(arena.bytes.count == "123456789012345678张三53010A".utf8.count)
        for i in texts.indices {
            for j in texts.indices { #expect(arena.equal(refs[i], other, again[j]) == (i == j), "\(texts[i]) \(texts[j])") }
        }
        // Moved along with its arena when files' parts are joined; a code stays as it is.
        #expect(refs[0].moved(by: 100).packed == refs[0].packed)
        #expect(refs[3].moved(by: 100).offset == refs[3].offset + 100)
    }
}

@Suite struct SpillListTests {
    /// Appended from several threads and spilled to temporary files in runs of 100, the list reads
    /// back as one sorted sequence, as often as asked and by several readers at once.
    @Test func readsBackInOrderWhateverWasSpilled() {
        var random = SeededRandom(seed: 3)
        let findings = (0..<5_000).map { i in
            Finding(code: FindingCode.allCases[Int(random.next() % 15)], dataset: .xueji, location: Location(file: 1, line: i + 2),
                    key: random.next() % 1_000_000, rawID: i % 7 == 0 ? "bad\u{0}id" : "", name: "张\(i)",
                    regionCode: "5301020010\(i % 100)", schoolCode: "", detail: String(repeating: "x", count: i % 40))
        }
        let list = SpillList<Finding>(budget: 100) { UInt64($0.code.ordinal) << 56 | $0.location.packed }
        DispatchQueue.concurrentPerform(iterations: 10) { t in list.append(contentsOf: Array(findings[t * 500 ..< (t + 1) * 500])) }
        list.finish()
        let expected = findings.sorted { ($0.code.ordinal, $0.location.line) < ($1.code.ordinal, $1.location.line) }
        #expect(list.count == 5_000)
        let reads = Slots([[String]](repeating: [], count: 3))
        DispatchQueue.concurrentPerform(iterations: 3) { r in
            let read = list.map { "\($0.code) \($0.location.line) \($0.key) \($0.rawID) \($0.name) \($0.regionCode) \($0.detail)" }
            reads.update { $0[r] = read }
        }
        let want = expected.map { "\($0.code) \($0.location.line) \($0.key) \($0.rawID) \($0.name) \($0.regionCode) \($0.detail)" }
        for read in reads.value { #expect(read == want) }
    }

    /// A list with `number` gives each element its position as it is read.
    @Test func numbersTheElementsInOrder() {
        struct Item: Spillable {
            var value: UInt64, position = 0
            init(_ value: UInt64) { self.value = value }
            func spill(into out: inout SpillWriter) { out.put(value) }
            init(unspilling input: inout SpillReader) { value = input.get() }
        }
        let list = SpillList<Item>(budget: 3, by: { $0.value > $1.value }, number: { $0.position = $1 })
        list.append(contentsOf: (1...10).map { Item($0) })
        list.finish()
        #expect(list.map(\.value) == Array((1...10).reversed()) && list.map(\.position) == Array(1...10))
        #expect(list.first?.value == 10 && !list.isEmpty)
        // Where no run can be written, the elements stay in memory and nothing is lost.
        let held = SpillList<Item>(budget: 3, by: { $0.value > $1.value }, number: { $0.position = $1 },
                                   directory: "/nonexistent/sicha")
        held.append(contentsOf: (1...10).map { Item($0) })
        held.finish()
        #expect(held.map(\.value) == Array((1...10).reversed()) && held.count == 10)
    }

    /// A run that cannot be read back whole (its temporary file cut short) ends early, and the list
    /// says so: what was read is not the whole list.
    @Test func aRunThatCannotBeReadBackIsReported() {
        struct Item: Spillable {
            var value: UInt64
            init(_ value: UInt64) { self.value = value }
            func spill(into out: inout SpillWriter) { out.put(value) }
            init(unspilling input: inout SpillReader) { value = input.get() }
        }
        let list = SpillList<Item>(budget: 3, by: { $0.value < $1.value })
        list.append(contentsOf: (1...10).map { Item($0) })
        list.finish()
        #expect(list.map(\.value) == Array(1...10) && !list.unreadable)
        ftruncate(list.runs[0].file.descriptor, 5)
        #expect(list.map(\.value).count < 10 && list.unreadable)
    }
}

@Suite struct TextRefTests {
    /// Codes of 1 to 17 digits are held in the reference, their zeros in front kept; anything else
    /// (a longer code, any other character at any place, nothing) is not.
    @Test func digitsHeldInTheReference() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<20_000 {
            var text = (0..<Int.random(in: 0...20, using: &random)).map { _ in UInt8.random(in: 0x30...0x39, using: &random) }
            if !text.isEmpty && Bool.random(using: &random) {
                text[Int.random(in: 0..<text.count, using: &random)] = [0x2F, 0x3A, 0x20, 0x41, 0xE4, 0x00].randomElement(using: &random)!
            }
            let expected = (1...17).contains(text.count) && text.allSatisfy { (0x30...0x39).contains($0) }
                ? text.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) } | UInt64(text.count) << 57 : nil
            #expect(text.withUnsafeBytes { TextRef.digits($0) } == expected, "\(String(decoding: text, as: UTF8.self))")
        }
    }
}

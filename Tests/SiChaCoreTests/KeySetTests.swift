import SiChaGenerate
import Testing
@testable import SiChaCore

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
}

@Suite struct RepeatedKeysTests {
    /// `repeated(in:threads:)` finds exactly the keys counted more than once, whether the repeats are
    /// within one list or across lists, for any thread count.
    @Test(arguments: [1, 3])
    func findsExactlyTheKeysSeenTwice(threads: Int) {
        var random = SeededRandom(seed: 11)
        let lists = (0..<3).map { _ in (0..<20_000).map { _ in 1 + random.next() % 40_000 * 7_919 } }
        var counts: [UInt64: Int] = [:]
        for list in lists { for key in list { counts[key, default: 0] += 1 } }
        let repeated = KeySet.repeated(in: lists, threads: threads)
        let expected = counts.filter { $0.value > 1 }.keys
        #expect(repeated.count == expected.count && expected.count > 1000)
        for (key, n) in counts { #expect(repeated.contains(key) == (n > 1)) }
        #expect(KeySet.repeated(in: [], threads: threads).count == 0)
    }
}

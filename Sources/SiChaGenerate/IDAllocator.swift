import SiChaCore

/// Hands out ID numbers that no two people share: a counter per (place, birth date, sex) picks
/// the three-digit sequence number. Its memory depends on the date range only, never on the
/// number of people.
struct IDAllocator {
    private let regions: [Int]
    private let firstDay: Int
    private let dayCount: Int
    private var counts: [UInt16]

    init(regions: [Int], asOfDay: Int) {
        self.regions = regions
        firstDay = Days.from(year: 1900, month: 1, day: 1)
        dayCount = asOfDay - firstDay + 1
        counts = [UInt16](repeating: 0, count: regions.count * dayCount * 2)
    }

    /// A new ID key for someone born on `birthDay` (within 1900-01-01 … as-of), issued in
    /// `regions[region]`, or in the next place of `range` when that one has used all its numbers.
    /// Returns the key and its check character, or nil when every place in `range` is full that day.
    mutating func allocate(region: Int, in range: Range<Int>, birthDay: Int, birth: Int32, sex: Sex) -> (UInt64, UInt8)? {
        let male = sex == .male ? 1 : 0
        var r = region
        for _ in 0..<range.count {
            let slot = ((r * dayCount) + birthDay - firstDay) * 2 + male
            let n = Int(counts[slot])
            if n < 500 {
                counts[slot] += 1
                let offset = Int(SeededRandom.mix(UInt64(slot)) % 500)
                let sequence = UInt64((n + offset) % 500 * 2 + male)
                let key = UInt64(regions[r]) * 100_000_000_000 + UInt64(birth) * 1000 + sequence
                // The engine's own rendering gives the check character (GB 11643).
                return (key, IDNumber(key: key).description.utf8.last!)
            }
            r = range.lowerBound + (r - range.lowerBound + 1) % range.count
        }
        return nil
    }
}

/// A seeded xoshiro256** generator: the same seed gives the same numbers on every machine and run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Expands `seed` into the generator's state with SplitMix64.
    public init(seed: UInt64) {
        var x = seed
        func next() -> UInt64 { x &+= 0x9E37_79B9_7F4A_7C15; return SeededRandom.mix(x) }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    /// The SplitMix64 finaliser: a fixed, well-spread hash of a 64-bit value.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A number in `0 ..< n` (n > 0).
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// A number in `range`.
    mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) * 0x1p-53 < p
    }

    /// A number in `0 ..< 1`.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

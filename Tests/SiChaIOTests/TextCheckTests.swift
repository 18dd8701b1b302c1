import Testing
@testable import SiChaIO

@Suite struct TextCheckTests {
    /// Pieces that texts are made of: ASCII, Chinese (in runs, as names are), other valid
    /// characters, and each kind of broken UTF-8.
    static let valid: [[UInt8]] = ["a", "530102", ",", "中", "王小明", "\u{3000}", "é", "😀", "\u{0800}", "\u{FFFF}"].map { Array($0.utf8) }
    static let broken: [[UInt8]] = [[0], [0x80], [0xE4, 0xB8], [0xE4, 0x41, 0xAD], [0xED, 0xA0, 0x80], [0xE0, 0x80, 0x80],
                                    [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xF0, 0x9F, 0x98]]

    /// Texts of up to 60 pieces, at most one of them broken, at every offset of the fast paths
    /// (sixteen and eight bytes at a time, runs of Chinese characters): the check agrees with the
    /// standard library's validation, and tells a NUL byte from invalid UTF-8.
    @Test func agreesWithTheStandardLibrary() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(seed >> 33) % n
        }
        var brokenSeen = 0
        for _ in 0..<20_000 {
            var text: [UInt8] = []
            for _ in 0..<next(60) { text += Self.valid[next(Self.valid.count)] }
            var bad: [UInt8]?
            if next(2) == 0 {
                let piece = Self.broken[next(Self.broken.count)]
                let at = next(text.count + 1)
                // (Inside a character the piece breaks it anyway; its own kind is what is asked below.)
                let cut = (0...at).last { $0 == text.count || text[$0] & 0xC0 != 0x80 }!
                text.insert(contentsOf: piece, at: cut)
                bad = piece
            }
            let problem = text.withUnsafeBytes { TextCheck.encodingProblem($0) }
            let expected: String? = if let bad { bad == [0] ? "bad encoding: NUL byte" : "bad encoding: invalid UTF-8" } else { nil }
            #expect(problem == expected, "\(text)")
            #expect((problem == nil) == (String(validating: text, as: UTF8.self) != nil && !text.contains(0)))
            if bad != nil { brokenSeen += 1 }
        }
        #expect(brokenSeen > 9_000)
    }
}

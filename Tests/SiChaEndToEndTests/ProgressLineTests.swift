@testable import sicha
import Testing

@Suite struct ProgressLineTests {
    @Test func showsBytesOfTotalRateElapsedAndRemaining() {
        let state = ProgressLine.State(bytes: 12_300_000, total: 49_200_000, rows: 2_469_134, readingTime: 2, elapsed: 2, reading: true)
        #expect(ProgressLine.line(state) == "sicha: read 12.3 MB of 49.2 MB (25%), 1,234,567 rows/s, 0:02 elapsed, 0:06 left")
    }

    @Test func saysComparingOnceTheInputsAreRead() {
        let state = ProgressLine.State(bytes: 500, total: 500, rows: 10, readingTime: 1, elapsed: 3725, reading: false)
        #expect(ProgressLine.line(state) == "sicha: read 0.0 MB of 0.0 MB (100%), 10 rows/s, 1:02:05 elapsed, comparing")
    }

    @Test func standardInputHasNoTotal() {
        let state = ProgressLine.State(bytes: 2_000_000, total: nil, rows: 0, readingTime: 0, elapsed: 0, reading: true)
        #expect(ProgressLine.line(state) == "sicha: read 2.0 MB, 0 rows/s, 0:00 elapsed")
    }
}

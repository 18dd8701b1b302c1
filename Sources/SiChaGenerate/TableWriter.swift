import Dispatch
import SiChaCore

/// The spellings of coded values, English and Chinese, indexed by the code's raw value.
enum Spellings {
    static let hukou: [[UInt8]] = ["normal", "moved_out", "deceased", "cancelled"].map { Array($0.utf8) }
    static let hukouChinese: [[UInt8]] = ["正常", "迁出", "死亡", "注销"].map { Array($0.utf8) }
    static let xueji: [[UInt8]] = ["enrolled", "suspended", "home_education", "transferred_out", "dropped_out",
                                   "graduated", "deceased"].map { Array($0.utf8) }
    static let xuejiChinese: [[UInt8]] = ["在读", "休学", "送教上门", "转出", "辍学", "毕业", "死亡"].map { Array($0.utf8) }
    static let category: [[UInt8]] = ["not_lifted", "unstable", "edge", "sudden", "lifted"].map { Array($0.utf8) }
    static let categoryChinese: [[UInt8]] = ["未脱贫户", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "脱贫户"].map { Array($0.utf8) }
    static let numerals: [[UInt8]] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"].map { Array($0.utf8) }
    static let ethnicities: [[UInt8]] = ["汉族", "汉族", "汉族", "汉族", "彝族", "白族", "哈尼族", "傣族", "壮族", "苗族"].map { Array($0.utf8) }
    static let relations: [[UInt8]] = ["户主", "配偶", "子女", "父母"].map { Array($0.utf8) }
}

/// Why a planted reject row cannot be read: a wrong field count, an unreadable code or an empty
/// required value (contract section 1).
enum Damage { case none, extraField, badCode, emptyName }

/// Writes the rows of one register file in its format, planting a few reject rows as it goes.
struct TableWriter {
    let format: TableFormat
    private var out: OutputBuffer
    /// Data rows written, rejects included.
    private(set) var rows = 0
    private(set) var rejects = 0
    private var nextReject = 3

    /// Creates the file in `directory` and writes its header.
    init(format: TableFormat, directory: String, frameSize: Int, limit: DispatchSemaphore) throws(GenerateError) {
        self.format = format
        let sink = try FrameSink(path: directory + "/" + format.fileName, level: format.compressed ? 1 : nil, limit: limit)
        out = OutputBuffer(sink: sink, frameSize: frameSize)
        if format.bom { out.byte(0xEF); out.byte(0xBB); out.byte(0xBF) }
        for (i, name) in format.header.enumerated() {
            open(i)
            out.bytes(name)
            close()
        }
        lineEnd()
    }

    /// Writes what is left and closes the file; returns the bytes written.
    mutating func finish() throws(GenerateError) -> Int {
        try out.finish()
        return out.sink.bytesWritten
    }

    // MARK: rows

    mutating func write(_ r: HukouRow, _ p: Person) {
        hukou(r, p, .none)
        if let damage = rejectDue() { hukou(r, p, damage) }
    }

    mutating func write(_ r: XuejiRow, _ p: Person) {
        xueji(r, p, .none)
        if let damage = rejectDue() { xueji(r, p, damage) }
    }

    mutating func write(_ r: RosterRow, _ p: Person) {
        roster(r, p, .none)
        if let damage = rejectDue() { roster(r, p, damage) }
    }

    mutating func write(_ r: PovertyRow, _ p: Person) {
        poverty(r, p, .none)
        if let damage = rejectDue() { poverty(r, p, damage) }
    }

    private mutating func hukou(_ r: HukouRow, _ p: Person, _ damage: Damage) {
        for (i, column) in format.columns.enumerated() {
            open(i)
            switch column {
            case .id: out.id(r.id, p)
            case .name: if damage != .emptyName { name(r.name) }
            case .sex: sex(r.sex)
            case .birthDate: date(r.birth)
            case .household: out.number(r.household, width: 15)
            case .region: out.number(r.region, width: 12)
            case .hukouStatus:
                if damage == .badCode { out.bytes("未知") }
                else { out.bytes(format.chineseCodes ? Spellings.hukouChinese[Int(r.status.rawValue)] : Spellings.hukou[Int(r.status.rawValue)]) }
            default: extra(column, p)
            }
            close()
        }
        endRow(damage)
    }

    private mutating func xueji(_ r: XuejiRow, _ p: Person, _ damage: Damage) {
        for (i, column) in format.columns.enumerated() {
            open(i)
            switch column {
            case .studentNo:
                switch r.number {
                case .formal: out.byte(UInt8(ascii: "G")); out.number(p.key, width: 17); out.byte(p.check)
                case .withoutID(let letter, let digits): out.byte(letter); out.number(digits, width: 18)
                }
            case .id: out.id(r.id, p)
            case .name: if damage != .emptyName { name(r.name) }
            case .sex: sex(r.sex)
            case .birthDate: date(r.birth)
            case .school: out.number(r.school.code, width: 10)
            case .schoolRegion: out.number(r.school.region, width: 12)
            case .grade: grade(Int(r.grade))
            case .xuejiStatus:
                if damage == .badCode { out.bytes("unknown") }
                else { out.bytes(format.chineseCodes ? Spellings.xuejiChinese[Int(r.status.rawValue)] : Spellings.xueji[Int(r.status.rawValue)]) }
            case .returned: if r.returned { out.byte(UInt8(ascii: "1")) }
            default: extra(column, p)
            }
            close()
        }
        endRow(damage)
    }

    private mutating func roster(_ r: RosterRow, _ p: Person, _ damage: Damage) {
        for (i, column) in format.columns.enumerated() {
            open(i)
            switch column {
            case .id: out.id(r.id, p)
            case .name: if damage != .emptyName { name(r.name) }
            case .school: out.number(r.school.code, width: 10)
            case .grade: out.decimal(Int(r.grade))
            case .daysExpected: out.decimal(Int(r.expected))
            case .daysAbsent: if damage == .badCode { out.bytes("n/a") } else { out.decimal(Int(r.absent)) }
            case .lastPresent: date(r.lastPresent)
            default: extra(column, p)
            }
            close()
        }
        endRow(damage)
    }

    private mutating func poverty(_ r: PovertyRow, _ p: Person, _ damage: Damage) {
        for (i, column) in format.columns.enumerated() {
            open(i)
            switch column {
            case .povertyHousehold: out.number(r.household, width: 16)
            case .id: out.id(r.id, p)
            case .name: if damage != .emptyName { name(r.name) }
            case .region: out.number(r.region, width: 12)
            case .category:
                if damage == .badCode { out.bytes("未知") }
                else { out.bytes(format.chineseCodes ? Spellings.categoryChinese[Int(r.category.rawValue)] : Spellings.category[Int(r.category.rawValue)]) }
            case .disabled: flag(r.groups.contains(.disabled))
            case .leftBehind: flag(r.groups.contains(.leftBehind))
            case .orphan: flag(r.groups.contains(.orphan))
            case .singleParent: flag(r.groups.contains(.singleParent))
            case .relocated: flag(r.groups.contains(.relocated))
            default: extra(column, p)
            }
            close()
        }
        endRow(damage)
    }

    // MARK: fields

    @inline(__always)
    private mutating func open(_ column: Int) {
        if column > 0 { out.byte(UInt8(ascii: ",")) }
        if format.quoteAll { out.byte(UInt8(ascii: "\"")) }
    }

    @inline(__always)
    private mutating func close() {
        if format.quoteAll { out.byte(UInt8(ascii: "\"")) }
    }

    private mutating func lineEnd() {
        if format.crlf { out.byte(0x0D) }
        out.byte(0x0A)
    }

    private mutating func endRow(_ damage: Damage) {
        if damage == .extraField { out.bytes(",x") }
        lineEnd()
        rows += 1
        out.recordEnded()
    }

    /// The damage of the reject row due after the row just written, if one is due: after data
    /// rows 3, 40 and 400, then every 100 000 rows.
    private mutating func rejectDue() -> Damage? {
        guard rows == nextReject else { return nil }
        nextReject = nextReject < 400 ? (nextReject == 3 ? 40 : 400) : nextReject + 100_000
        rejects += 1
        return [Damage.extraField, .badCode, .emptyName][(rejects - 1) % 3]
    }

    private mutating func name(_ n: Name) {
        let s = Int(n.surname) * 3, g1 = Int(n.given1) * 3
        out.byte(Names.surnames[s]); out.byte(Names.surnames[s + 1]); out.byte(Names.surnames[s + 2])
        out.byte(Names.given[g1]); out.byte(Names.given[g1 + 1]); out.byte(Names.given[g1 + 2])
        if n.given2 != Name.none {
            let g2 = Int(n.given2) * 3
            out.byte(Names.given[g2]); out.byte(Names.given[g2 + 1]); out.byte(Names.given[g2 + 2])
        }
    }

    private mutating func sex(_ code: UInt8) {
        guard code != 0 else { return }
        if code == HukouRow.unreadableSex { out.bytes("不详"); return }
        switch format.sex {
        case .digit: out.byte(0x30 + code)
        case .chinese: out.bytes(code == 1 ? "男" : "女")
        case .letter: out.byte(code == 1 ? UInt8(ascii: "M") : UInt8(ascii: "F"))
        }
    }

    private mutating func date(_ packed: Int32) {
        guard packed != 0 else { return }
        if packed == HukouRow.unreadable { out.bytes("不详"); return }
        let v = UInt64(packed)
        switch format.dates {
        case .compact: out.number(v, width: 8)
        case .dashed, .slashed:
            let separator = format.dates == .dashed ? UInt8(ascii: "-") : UInt8(ascii: "/")
            out.number(v / 10000, width: 4); out.byte(separator)
            out.number(v / 100 % 100, width: 2); out.byte(separator)
            out.number(v % 100, width: 2)
        }
    }

    private mutating func grade(_ g: Int) {
        switch format.grades {
        case .digit: out.decimal(g)
        case .juniorShort where g >= 7: out.bytes("初"); out.bytes(Spellings.numerals[g - 7])
        case .chineseYear, .juniorShort: out.bytes(Spellings.numerals[g - 1]); out.bytes("年级")
        }
    }

    private mutating func flag(_ on: Bool) {
        if on { out.byte(UInt8(ascii: "1")) } else if !format.chineseCodes { out.byte(UInt8(ascii: "0")) }
    }

    /// The value of a column the engine ignores; drawn from a hash of the row number so that it
    /// needs no random state.
    private mutating func extra(_ column: Column, _ p: Person) {
        let hash = SeededRandom.mix(UInt64(rows + 1) &* 31 &+ UInt64(format.dataset.rawValue))
        switch column {
        case .ethnicity: out.bytes(Spellings.ethnicities[Int(hash % 10)])
        case .relation: out.bytes(Spellings.relations[Int(p.role.rawValue)])
        case .classNo: out.decimal(Int(hash % 6) + 1); out.bytes("班")
        case .phone: out.bytes("13"); out.number(hash % 1_000_000_000, width: 9)
        case .remark where format.quoteAll:
            switch hash % 100 {
            case 0..<3:
                out.bytes("户籍地址：本村"); lineEnd(); out.bytes("现住址：外出务工随迁")
            case 3..<5:
                out.bytes("说明：\"\"随迁子女\"\",已核实")
            default: break
            }
        default: break
        }
    }
}

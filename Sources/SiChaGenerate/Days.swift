/// Day arithmetic on the proleptic Gregorian calendar: days counted from 1970-01-01.
enum Days {
    /// The day number of a calendar date.
    static func from(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    }

    /// The calendar date of a day number as `yyyymmdd`.
    static func packed(_ days: Int) -> Int32 {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return Int32(year * 10000 + month * 100 + day)
    }

    /// Day of the week, 0 for Sunday.
    static func weekday(_ days: Int) -> Int { ((days % 7) + 11) % 7 }

    /// Whole years of age on `on` (packed) for someone born on `birth` (packed).
    static func age(birth: Int32, on: Int32) -> Int {
        Int(on / 10000 - birth / 10000) - (on % 10000 < birth % 10000 ? 1 : 0)
    }
}

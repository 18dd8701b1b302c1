/// A Chinese name as indexes into the tables of common characters: a surname and one or two
/// given-name characters.
struct Name: Equatable {
    var surname: UInt8
    var given1: UInt8
    /// `Name.none` for a one-character given name.
    var given2: UInt8

    static let none: UInt8 = .max

    /// The same name with its last character replaced: how a name is mistyped or changed in another register.
    func altered() -> Name {
        var n = self
        if n.given2 == Name.none { n.given1 = UInt8((Int(n.given1) + 1) % Names.givenCount) }
        else { n.given2 = UInt8((Int(n.given2) + 1) % Names.givenCount) }
        return n
    }
}

/// The characters names are made of, as UTF-8 (each character is three bytes).
enum Names {
    /// Common surnames, most frequent first.
    static let surnames: [UInt8] = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤普者字".utf8)
    /// Common given-name characters.
    static let given: [UInt8] = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁婷雪琳晨欣怡梓涵轩航博文佳琪思雨嘉梦瑶豪晓东志建国海春梅秀丹蕾慧颖倩莉云峰鑫成龙飞林波亮然诗语子若一诺依彤紫萱可馨桐天佑睿泽昊宸铭熙锦程远正阳家乐永福德顺金花学忠光荣贵".utf8)
    static let surnameCount = surnames.count / 3
    static let givenCount = given.count / 3

    /// A name with the given surname; surnames drawn with a skew towards the common ones.
    static func random(surname: UInt8? = nil, _ random: inout SeededRandom) -> Name {
        let s = surname ?? UInt8(Int(Double(surnameCount) * pow2(random.unit())))
        let g1 = UInt8(random.below(givenCount))
        let g2 = random.chance(0.7) ? UInt8(random.below(givenCount)) : Name.none
        return Name(surname: s, given1: g1, given2: g2)
    }

    private static func pow2(_ x: Double) -> Double { x * x }
}

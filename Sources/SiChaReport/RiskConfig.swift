#if canImport(FoundationEssentials)
import FoundationEssentials  // (Foundation itself would add some 7 MiB to every run's memory)
#else
import Foundation
#endif
import SiChaCore
import SiChaIO

/// The risk model's weights and level thresholds as a JSON file (`--config`).
///
/// Any key may be left out to keep its default; an unknown key is an error, so that a typo
/// does not silently change nothing.
public enum RiskConfig {
    /// The defaults, documented, in the form `--config` reads.
    public static func defaultsJSON() -> String {
        let model = RiskModel.standard
        let factors = RiskModel.Factor.allCases
        var out = "{\n"
        out += "  \"about\": \"weights: points a factor adds to a case's score (the score is capped at 100); "
        out += "levels: the lowest score of each colour, below blue is green. Leave a key out to keep its default.\",\n"
        out += "  \"weights\": {\n"
        out += factors.map { "    \(jsonString($0.name)): \(model.weight($0))" }.joined(separator: ",\n")
        out += "\n  },\n  \"meaning\": {\n"
        out += factors.map { "    \(jsonString($0.name)): \(jsonString($0.meaning))" }.joined(separator: ",\n")
        out += "\n  },\n  \"levels\": {"
        out += zip(["red", "orange", "yellow", "blue"], model.thresholds).map { "\"\($0)\": \($1)" }.joined(separator: ", ")
        out += "}\n}\n"
        return out
    }

    public static func load(path: String) throws(InputError) -> RiskModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("cannot read the config file") }
        return try parse(data)
    }

    public static func parse(_ data: Data) throws(InputError) -> RiskModel {
        guard case .object(let root)? = try? JSONDecoder().decode(Value.self, from: data) else {
            throw InputError("the config is not a JSON object")
        }
        var model = RiskModel.standard
        for key in root.keys where !["about", "meaning", "weights", "levels"].contains(key) {
            throw InputError("unknown config key \(key)")
        }
        if let weights = root["weights"] {
            guard case .object(let weights) = weights else { throw InputError("weights must be an object") }
            for (name, value) in weights {
                guard let factor = RiskModel.Factor(name: name) else { throw InputError("unknown factor \(name)") }
                guard case .whole(let points) = value else { throw InputError("weight \(name) must be a whole number") }
                model.setWeight(factor, points)
            }
        }
        if let levels = root["levels"] {
            guard case .object(let levels) = levels else { throw InputError("levels must be an object") }
            let names = ["red", "orange", "yellow", "blue"]
            for (name, value) in levels {
                guard let i = names.firstIndex(of: name) else { throw InputError("unknown level \(name) (red, orange, yellow, blue)") }
                guard case .whole(let score) = value else { throw InputError("level \(name) must be a whole number") }
                model.thresholds[i] = score
            }
            guard zip(model.thresholds, model.thresholds.dropFirst()).allSatisfy({ $0 > $1 }) else {
                throw InputError("levels must fall from red to blue")
            }
        }
        return model
    }

    /// A JSON value, as far as the config tells its kinds apart.
    private enum Value: Decodable {
        case whole(Int), object([String: Value]), other

        init(from decoder: Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let n = try? value.decode(Int.self) {
                self = .whole(n)
            } else if let members = try? value.decode([String: Value].self) {
                self = .object(members)
            } else {
                self = .other
            }
        }
    }
}

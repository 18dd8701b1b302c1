import Dispatch

/// A value that worker threads update under a lock.
public final class Slots<T>: @unchecked Sendable {
    private var stored: T
    private let lock = DispatchQueue(label: "sicha.slots")
    public init(_ value: T) { stored = value }
    public var value: T { lock.sync { stored } }
    public func update(_ change: (inout T) -> Void) { lock.sync { change(&stored) } }
}

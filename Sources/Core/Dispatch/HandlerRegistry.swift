// SPDX-License-Identifier: Apache-2.0
/// The handlers a program uses. Programs compose it from plug-in targets:
/// `HandlerRegistry([MemfdHandler(), ShmHandler(), MyHandler()])`.
/// Types are unique (`ResourceHandler`'s contract): registering a second
/// handler with a type already present is a programming error and stops
/// the program, naming the type.
public struct HandlerRegistry: Sendable {
    public private(set) var handlers: [any ResourceHandler] = []

    public init(_ handlers: [any ResourceHandler] = []) {
        for handler in handlers { register(handler) }
    }

    /// Adds a handler; it is probed after those registered before it.
    public mutating func register(_ handler: any ResourceHandler) {
        precondition(self.handler(type: handler.type) == nil,
                     "HandlerRegistry: a handler of type '\(handler.type)' is already registered")
        handlers.append(handler)
    }

    public var types: [String] { handlers.map(\.type) }

    public func handler(type: String) -> (any ResourceHandler)? {
        handlers.first { $0.type == type }
    }

    /// The first handler whose probe accepts `file`.
    public func handler(for file: AdoptedFile) -> (any ResourceHandler)? {
        index(for: file).map { handlers[$0] }
    }

    /// The position in `handlers` of the first handler whose probe accepts `file`.
    public func index(for file: AdoptedFile) -> Int? {
        handlers.firstIndex { $0.probe(file) }
    }
}

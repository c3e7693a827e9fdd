// SPDX-License-Identifier: Apache-2.0
/// What a handler tells about an adopted resource: typed fields in a fixed
/// order, printed as "key: value" lines or as one JSON object.
public struct Description: Sendable {
    public enum Value: Sendable, Equatable {
        case int(Int64)
        case string(String)
        case bool(Bool)
        case strings([String])
        case null
    }

    public var fields: [(key: String, value: Value)] = []

    /// The keys `Adoption.describe()` sets itself; handlers must not use them.
    public static let coreKeys: Set<String> = ["pid", "fd", "type", "via", "inode", "size", "access", "note", "mapping"]

    public init() {}

    public subscript(key: String) -> Value? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((key, newValue))
            }
        }
    }

    /// The "name" field as text; nil when absent or `.null`.
    public var name: String? { self["name"].flatMap { $0 == .null ? nil : $0.text } }

    public mutating func append(_ key: String, _ value: Value) { self[key] = value }
    public mutating func append(_ key: String, _ value: String) { self[key] = .string(value) }
    public mutating func append<I: BinaryInteger>(_ key: String, _ value: I) { self[key] = .int(Int64(value)) }
    public mutating func append(_ key: String, _ value: Bool) { self[key] = .bool(value) }
    public mutating func append(_ key: String, _ value: [String]) { self[key] = .strings(value) }

    /// "key: value" lines, keys aligned.
    public var text: String {
        let width = fields.map(\.key.count).max() ?? 0
        return fields.map { field in
            let pad = String(repeating: " ", count: width - field.key.count)
            return "\(field.key):\(pad) \(field.value.text)"
        }.joined(separator: "\n")
    }

    public var json: String {
        "{" + fields.map { "\(JSON.quote($0.key)):\($0.value.json)" }.joined(separator: ",") + "}"
    }
}

extension Description.Value {
    public var text: String {
        switch self {
        case .int(let v): return String(v)
        case .string(let s): return s
        case .bool(let b): return b ? "yes" : "no"
        case .strings(let list): return list.isEmpty ? "none" : list.joined(separator: ",")
        case .null: return "-"
        }
    }

    public var json: String {
        switch self {
        case .int(let v): return String(v)
        case .string(let s): return JSON.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .strings(let list): return "[" + list.map(JSON.quote).joined(separator: ",") + "]"
        case .null: return "null"
        }
    }
}

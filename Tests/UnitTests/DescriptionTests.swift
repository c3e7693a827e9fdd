// SPDX-License-Identifier: Apache-2.0
import RemoteFD
import Foundation
import Testing

@Suite("Descriptions and seals")
struct DescriptionTests {
    @Test("JSON output escapes and parses back")
    func jsonRoundTrip() throws {
        var d = Description()
        d.append("name", "quote\" back\\slash\nnewline\u{1}")
        d.append("size", 42)
        d.append("flag", true)
        d.append("list", ["a", "b"])
        d.append("none", .null)
        let object = try JSONSerialization.jsonObject(with: Data(d.json.utf8)) as? [String: Any]
        #expect(object?["name"] as? String == "quote\" back\\slash\nnewline\u{1}")
        #expect(object?["size"] as? Int == 42)
        #expect(object?["flag"] as? Bool == true)
        #expect(object?["list"] as? [String] == ["a", "b"])
        #expect(object?["none"] is NSNull)
        #expect(d.json.hasPrefix("{\"name\":"))  // fields keep their order
    }

    @Test("setting a key twice replaces it in place")
    func replace() {
        var d = Description()
        d.append("a", 1)
        d.append("b", 2)
        d.append("a", 3)
        #expect(d.fields.map(\.key) == ["a", "b"])
        #expect(d["a"] == .int(3))
    }

    @Test("seals decode by name")
    func seals() {
        #expect(Seals(rawValue: 0).names.isEmpty)
        #expect(Seals(rawValue: 0x1 | 0x8).names == ["seal", "write"])
        #expect(Seals.futureWrite.forbidsWriting)
        #expect(!Seals.shrink.forbidsWriting)
    }
}

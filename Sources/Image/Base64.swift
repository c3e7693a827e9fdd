// SPDX-License-Identifier: Apache-2.0

/// Base64 (RFC 4648 section 4: the standard alphabet, `=` padding, no line
/// breaks), what kitty's graphics protocol carries its payload in. Written
/// here: the CLI does not link Foundation.
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The encoding of `bytes`: 4 characters for every 3 bytes, the last
    /// group padded with `=`.
    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        let count = bytes.count
        var out = [UInt8](repeating: UInt8(ascii: "="), count: (count + 2) / 3 * 4)
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                alphabet.withUnsafeBufferPointer { table in
                    var i = 0, o = 0
                    while i + 3 <= count {
                        let group = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                        dst[o] = table[Int(group >> 18)]
                        dst[o + 1] = table[Int(group >> 12 & 63)]
                        dst[o + 2] = table[Int(group >> 6 & 63)]
                        dst[o + 3] = table[Int(group & 63)]
                        i += 3
                        o += 4
                    }
                    // 1 or 2 bytes left: 2 or 3 characters, then `=`.
                    if i < count {
                        let b1 = i + 1 < count ? UInt32(src[i + 1]) : 0
                        let group = UInt32(src[i]) << 16 | b1 << 8
                        dst[o] = table[Int(group >> 18)]
                        dst[o + 1] = table[Int(group >> 12 & 63)]
                        if i + 1 < count { dst[o + 2] = table[Int(group >> 6 & 63)] }
                    }
                }
            }
        }
        return out
    }

    /// The encoding as a String.
    public static func encodeString(_ bytes: [UInt8]) -> String {
        String(decoding: encode(bytes), as: UTF8.self)
    }
}

import Foundation
import Testing
@testable import Experiments

/// The run keys' SHA-256, against the test vectors of FIPS 180-4 (NIST's
/// "SHA256.pdf" examples) and the empty message.
@Suite struct SHA256Tests {
    @Test func digestsMatchThePublishedVectors() {
        let cases: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (message, expected) in cases {
            #expect(hexDigits(sha256Digest(Data(message.utf8))) == expected, "\(message)")
        }
    }
}

import CLibcrypto
import Foundation

/// SHA-256 of `data` (FIPS 180-4), from the system's libcrypto: the 32 bytes of the digest.
func sha256Digest(_ data: Data) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    var bytes = [UInt8](data)
    if bytes.isEmpty { bytes = [0] }  // a valid pointer for the zero-length message
    let count = data.count
    bytes.withUnsafeBufferPointer { input in
        digest.withUnsafeMutableBufferPointer { out in
            _ = SHA256(input.baseAddress, count, out.baseAddress)
        }
    }
    return digest
}

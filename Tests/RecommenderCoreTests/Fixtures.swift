import Foundation
import GraphKit
@_exported import TestSupport
@testable import RecommenderCore

/// A scorer with a fixed score matrix (users × items).
struct FixedScorer: Scorer {
    let matrix: Tensor
    var itemCount: Int { matrix.cols }
    func scores(users: [Int32]) -> Tensor {
        gatherRows(Tape.noGrad().constant(matrix), users).value
    }
}

/// A dataset from (user, item, split) triples, with no features.
func makeDataset(_ triples: [(Int32, Int32, Split)], name: String = "hand-made") throws -> Dataset {
    let file = InteractionFile(users: triples.map(\.0), items: triples.map(\.1), splits: triples.map(\.2))
    return try Dataset(name: name, interactions: file, features: [])
}

/// The bytes of an `.npy` file with the given header fields and payload.
func npyBytes(descr: String, fortran: Bool = false, shape: [Int], payload: Data, version: UInt8 = 1) -> Data {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
    let n = header.utf8.count
    if version == 1 {
        data.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
    } else {
        data.append(contentsOf: [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)])
    }
    data.append(contentsOf: Array(header.utf8))
    data.append(payload)
    return data
}

/// Little-endian bytes of a list of values.
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
    var data = Data()
    for v in values { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    return data
}

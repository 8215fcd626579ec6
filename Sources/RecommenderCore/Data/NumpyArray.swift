import Foundation
import GraphKit

/// Reads NumPy `.npy` files natively: format versions 1.0 to 3.0, C order,
/// little-endian float16, float32 or float64, converted to Float32.
public enum NumpyArray {
    /// The parsed header of an `.npy` file.
    public struct Header: Equatable, Sendable {
        /// The dtype string, such as `<f4`.
        public var descr: String
        /// True for Fortran (column-major) order.
        public var fortranOrder: Bool
        /// The array's shape.
        public var shape: [Int]
    }

    /// Loads a two-dimensional float array from `path` as a Float32 tensor.
    public static func loadMatrix(_ path: String) throws -> Tensor {
        try parseMatrix(try InputFile.contents(of: path), file: path)
    }

    /// Parses the bytes of an `.npy` file holding a 2-D float array.
    public static func parseMatrix(_ data: Data, file: String) throws -> Tensor {
        let (header, offset) = try parseHeader(data, file: file)
        guard header.shape.count == 2 else {
            throw DataError(file: file, location: "header",
                            "shape \(header.shape) has \(header.shape.count) dimension\(header.shape.count == 1 ? "" : "s"); expected a 2-D (items × features) array")
        }
        guard !header.fortranOrder else {
            throw DataError(file: file, location: "header",
                            "Fortran (column-major) order is not supported; save the array with np.ascontiguousarray")
        }
        let width: Int
        switch header.descr {
        case "<f2": width = 2
        case "<f4": width = 4
        case "<f8": width = 8
        default:
            throw DataError(file: file, location: "header",
                            "unsupported dtype '\(header.descr)'; expected little-endian float16, float32 or float64 ('<f2', '<f4', '<f8')")
        }
        let (rows, cols) = (header.shape[0], header.shape[1])
        guard rows > 0 && cols > 0 else {
            throw DataError(file: file, location: "header",
                            "shape \(header.shape) has no \(rows == 0 ? "rows" : "columns"); expected at least one item row and one feature column")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        let (needed, overflowBytes) = count.multipliedReportingOverflow(by: width)
        guard !overflow, !overflowBytes else {
            throw DataError(file: file, location: "header", "shape \(header.shape) is too large")
        }
        let available = data.count - offset
        guard available >= needed else {
            throw DataError(file: file, location: "payload",
                            "truncated: shape \(header.shape) of \(header.descr) needs \(needed) bytes, found \(available)")
        }
        guard available == needed else {
            throw DataError(file: file, location: "payload",
                            "\(available - needed) bytes past the data: shape \(header.shape) of \(header.descr) needs \(needed) bytes, found \(available); the shape in the header does not match the data")
        }
        var scalars = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + offset
            scalars.withUnsafeMutableBufferPointer { out in
                switch width {
                case 2:
                    for k in 0..<count {
                        out[k] = Float(Float16(bitPattern: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self))))
                    }
                case 4:
                    for k in 0..<count {
                        out[k] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))
                    }
                default:
                    for k in 0..<count {
                        out[k] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self))))
                    }
                }
            }
        }
        return Tensor(rows: rows, cols: cols, scalars: scalars)
    }

    /// Parses the magic string, version and header dictionary; returns the
    /// header and the offset of the payload.
    public static func parseHeader(_ data: Data, file: String) throws -> (Header, Int) {
        let bytes = [UInt8](data.prefix(12))
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataError(file: file, location: "header", "not an .npy file (the magic string \\x93NUMPY is missing)")
        }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int
        let start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else {
                throw DataError(file: file, location: "header", "truncated before the header length")
            }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw DataError(file: file, location: "header",
                            "format version \(major).\(minor) is not supported; expected 1.0, 2.0 or 3.0")
        }
        guard data.count >= start + headerLength else {
            throw DataError(file: file, location: "header",
                            "truncated: the header says \(headerLength) bytes, the file has \(data.count - start)")
        }
        let headerBytes = data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + headerLength))
        // Versions 1 and 2 use latin-1, version 3 UTF-8; the keys and values we read are ASCII.
        guard let text = String(data: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw DataError(file: file, location: "header", "the header is not valid text")
        }
        return (try parseDictionary(text, file: file), start + headerLength)
    }

    /// Parses the Python literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    static func parseDictionary(_ text: String, file: String) throws -> Header {
        func fail(_ why: String) -> DataError {
            DataError(file: file, location: "header", "\(why) in \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        func value(of key: String) throws -> Substring {
            guard let keyRange = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\"") else {
                throw fail("missing key '\(key)'")
            }
            var rest = text[keyRange.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw fail("no ':' after '\(key)'") }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        let descrValue = try value(of: "descr")
        guard let quote = descrValue.first, quote == "'" || quote == "\"",
              let close = descrValue.dropFirst().firstIndex(of: quote) else {
            throw fail("'descr' is not a quoted string")
        }
        let descr = String(descrValue[descrValue.index(after: descrValue.startIndex)..<close])
        let fortranValue = try value(of: "fortran_order")
        let fortran: Bool
        if fortranValue.hasPrefix("False") { fortran = false } else if fortranValue.hasPrefix("True") { fortran = true } else {
            throw fail("'fortran_order' is neither True nor False")
        }
        let shapeValue = try value(of: "shape")
        guard shapeValue.first == "(", let end = shapeValue.firstIndex(of: ")") else {
            throw fail("'shape' is not a tuple")
        }
        var shape: [Int] = []
        for part in shapeValue[shapeValue.index(after: shapeValue.startIndex)..<end].split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let n = Int(trimmed), n >= 0 else { throw fail("shape entry '\(trimmed)' is not a non-negative integer") }
            shape.append(n)
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape)
    }
}

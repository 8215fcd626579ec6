import Foundation
import GraphKit

extension NumpyArray {
    /// The `.npy` bytes of `tensor` as NumPy's `np.save` writes a C-order
    /// little-endian float32 array of shape (rows, cols): format version 1.0,
    /// the header padded with spaces to a multiple of 64 bytes and ended by a
    /// newline, then the scalars row after row. `np.load` reads it back bit
    /// for bit.
    public static func encode(_ tensor: Tensor) -> Data {
        tensor.scalars.withUnsafeBytes { encode(descr: "<f4", rows: tensor.rows, cols: tensor.cols, payload: $0) }
    }

    /// The `.npy` bytes of a C-order little-endian int32 array of shape
    /// (rows, cols), laid out as `encode` lays out float32: ids, such as a
    /// kNN graph's neighbour lists.
    public static func encodeInt32(_ values: [Int32], rows: Int, cols: Int) -> Data {
        precondition(values.count == rows * cols, "encodeInt32: \(values.count) values for \(rows) × \(cols)")
        return values.withUnsafeBytes { encode(descr: "<i4", rows: rows, cols: cols, payload: $0) }
    }

    private static func encode(descr: String, rows: Int, cols: Int, payload: UnsafeRawBufferPointer) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        // magic (6) + version (2) + header length (2) + header, padded to 64 bytes.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        // Float's and Int32's bytes are little-endian on every platform Swift targets here.
        data.append(contentsOf: payload)
        return data
    }

    /// Reads back a float32 `.npy` array exactly as stored, of any 2-D shape
    /// including empty ones: what a checkpoint holds. Other dtypes, orders or
    /// ranks are an error naming the file, since converting would not restore
    /// the saved bits.
    public static func parseFloat32(_ data: Data, file: String) throws -> Tensor {
        let (header, offset) = try parseHeader(data, file: file)
        guard header.descr == "<f4", !header.fortranOrder, header.shape.count == 2 else {
            throw DataError(file: file, location: "header",
                            "dtype '\(header.descr)', \(header.fortranOrder ? "Fortran" : "C") order, shape \(header.shape); expected a 2-D C-order float32 array ('<f4') as the suite writes it")
        }
        let (rows, cols) = (header.shape[0], header.shape[1])
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        let (bytes, overflowBytes) = count.multipliedReportingOverflow(by: 4)
        guard !overflow, !overflowBytes, data.count - offset == bytes else {
            throw DataError(file: file, location: "payload",
                            "shape \(header.shape) of float32 needs \(count) × 4 bytes, found \(data.count - offset)")
        }
        var scalars = [Float](repeating: 0, count: count)
        scalars.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { bytes in
                out.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count * 4)]))
            }
        }
        return Tensor(rows: rows, cols: cols, scalars: scalars)
    }
}

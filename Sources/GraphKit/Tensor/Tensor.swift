import Foundation

/// A dense Float32 matrix in row-major order, backed by one contiguous array.
///
/// Vectors are matrices with one row or one column, and a scalar is 1 × 1.
/// Copies share storage until one of them is written (copy-on-write).
public struct Tensor: Equatable, Sendable {
    /// Number of rows.
    public private(set) var rows: Int
    /// Number of columns.
    public private(set) var cols: Int
    /// The entries, row after row.
    public var scalars: [Float]

    /// A tensor of the given shape holding `scalars` in row-major order.
    public init(rows: Int, cols: Int, scalars: [Float]) {
        precondition(rows >= 0 && cols >= 0, "Tensor: negative shape \(rows)x\(cols)")
        precondition(scalars.count == rows * cols,
                     "Tensor: \(scalars.count) scalars do not fill shape \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.scalars = scalars
    }

    /// A tensor of the given shape with every entry equal to `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.init(rows: rows, cols: cols, scalars: [Float](repeating: value, count: rows * cols))
    }

    /// A tensor whose entries `initialize` must all write; skips zero-filling
    /// for kernels that overwrite every entry.
    init(rows: Int, cols: Int, initializingWith initialize: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = rows * cols
        let scalars = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            initialize(buffer)
            count = n
        }
        self.init(rows: rows, cols: cols, scalars: scalars)
    }

    /// A tensor from nested rows; every row must have the same length.
    public init(_ nested: [[Float]]) {
        let cols = nested.first?.count ?? 0
        for (r, row) in nested.enumerated() {
            precondition(row.count == cols, "Tensor: row \(r) has \(row.count) entries, expected \(cols)")
        }
        self.init(rows: nested.count, cols: cols, scalars: nested.flatMap { $0 })
    }

    /// A 1 × 1 tensor.
    public init(scalar: Float) {
        self.init(rows: 1, cols: 1, scalars: [scalar])
    }

    /// A tensor of zeros with the same shape as `other`.
    public static func zeros(like other: Tensor) -> Tensor {
        Tensor(rows: other.rows, cols: other.cols)
    }

    /// Number of entries.
    @inlinable public var count: Int { scalars.count }

    /// The shape as `rows x cols`, for messages.
    public var shapeDescription: String { "\(rows)x\(cols)" }

    /// The single entry of a 1 × 1 tensor.
    public var scalar: Float {
        precondition(rows == 1 && cols == 1, "Tensor.scalar: shape \(shapeDescription) is not 1x1")
        return scalars[0]
    }

    /// Entry at row `r`, column `c`.
    public subscript(r: Int, c: Int) -> Float {
        get { scalars[r * cols + c] }
        set { scalars[r * cols + c] = newValue }
    }

    /// Row `r` as an array.
    public func row(_ r: Int) -> [Float] {
        Array(scalars[(r * cols)..<((r + 1) * cols)])
    }

    /// The same entries read as another shape with the same count.
    public func reshaped(rows: Int, cols: Int) -> Tensor {
        precondition(rows * cols == count, "reshaped: cannot view \(shapeDescription) as \(rows)x\(cols)")
        return Tensor(rows: rows, cols: cols, scalars: scalars)
    }

    /// True when every entry is finite (no NaN, no infinity).
    public var isFinite: Bool {
        scalars.withUnsafeBufferPointer { p in
            for v in p where !v.isFinite { return false }
            return true
        }
    }

    /// The transpose, as a new tensor.
    public var transposed: Tensor {
        var out = Tensor(rows: cols, cols: rows)
        let (m, n) = (rows, cols)
        scalars.withUnsafeBufferPointer { a in
            out.scalars.withUnsafeMutableBufferPointer { t in
                for i in 0..<m {
                    for j in 0..<n { t[j * m + i] = a[i * n + j] }
                }
            }
        }
        return out
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = (0..<min(rows, 6)).map { r in
            "[" + row(r).prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
                + (cols > 8 ? ", …" : "") + "]"
        }
        return "Tensor(\(shapeDescription)) [" + shown.joined(separator: ", ") + (rows > 6 ? ", …" : "") + "]"
    }
}

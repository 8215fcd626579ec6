import GraphKit

/// One plain single-threaded pass over a CSR direction that reads exactly the
/// bytes a fixed-weight sparse product reads (row pointers, source ids, edge
/// ids, weights and each source row) and writes nothing but a running sum,
/// held in SIMD registers. It is the floor the real kernels are held against.
func readPass(_ adj: Adjacency, weights: [Float], _ x: Tensor) -> Float {
    let d = x.cols
    precondition(d % 32 == 0, "readPass: d = \(d) must be a multiple of 32")
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
    adj.rowPtr.withUnsafeBufferPointer { rp in
    adj.source.withUnsafeBufferPointer { src in
    adj.edge.withUnsafeBufferPointer { edge in
    weights.withUnsafeBufferPointer { w in
    x.scalars.withUnsafeBufferPointer { px in
        let base = UnsafeRawPointer(px.baseAddress!)
        for t in 0..<adj.targetCount {
            for k in Int(rp[t])..<Int(rp[t + 1]) {
                let wk = SIMD8<Float>(repeating: w[Int(edge[k])])
                var row = base + Int(src[k]) * d * 4
                for _ in 0..<(d / 32) {
                    s0 += wk * row.loadUnaligned(as: SIMD8<Float>.self)
                    s1 += wk * row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                    s2 += wk * row.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                    s3 += wk * row.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                    row += 128
                }
            }
        }
    }}}}}
    return (s0 + s1 + s2 + s3).sum()
}

/// Bytes one fixed-weight product over `adj` reads, for GB/s figures.
func bytesRead(_ adj: Adjacency, d: Int) -> Int {
    (adj.targetCount + 1) * 4 + adj.edgeCount * (4 + 4 + 4 + d * 4)
}

// Row-level inner loops on SIMD registers. The sparse kernels spend their time
// here: gathering weighted rows into one output row, and dot products.

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// out[0..<d] = scale · Σ_{k ∈ entries} weight(k) · x[row(k)][0..<d].
///
/// The output row is held in registers, 32 columns at a time, while the
/// entries stream past, so each output row is written once.
@inline(__always)
func accumulateRows(into out: UnsafeMutablePointer<Float>, d: Int, entries: Range<Int>, scale: Float,
                    from x: UnsafePointer<Float>, row: (Int) -> Int, weight: (Int) -> Float) {
    var c = 0
    while c + 32 <= d {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        for k in entries {
            let w = SIMD8<Float>(repeating: weight(k))
            let xr = x + row(k) * d + c
            s0 += w * load8(xr)
            s1 += w * load8(xr + 8)
            s2 += w * load8(xr + 16)
            s3 += w * load8(xr + 24)
        }
        let s = SIMD8<Float>(repeating: scale)
        store8(s * s0, out + c)
        store8(s * s1, out + c + 8)
        store8(s * s2, out + c + 16)
        store8(s * s3, out + c + 24)
        c += 32
    }
    while c + 8 <= d {
        var s0 = SIMD8<Float>()
        for k in entries { s0 += SIMD8<Float>(repeating: weight(k)) * load8(x + row(k) * d + c) }
        store8(SIMD8<Float>(repeating: scale) * s0, out + c)
        c += 8
    }
    while c < d {
        var s: Float = 0
        for k in entries { s += weight(k) * x[row(k) * d + c] }
        out[c] = scale * s
        c += 1
    }
}

/// Σ_j a[j] · b[j] over d entries.
@inline(__always)
func dotRows(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
    var acc = SIMD8<Float>()
    var j = 0
    while j + 8 <= d {
        acc += load8(a + j) * load8(b + j)
        j += 8
    }
    var s = acc.sum()
    while j < d {
        s += a[j] * b[j]
        j += 1
    }
    return s
}

/// out[b·size ..< (b+1)·size] += w[b] · x[b·size ..< (b+1)·size] for each of
/// `blocks` column blocks: one weighted row added block by block.
@inline(__always)
func accumulateBlocks(into out: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>,
                      weights w: UnsafePointer<Float>, blocks: Int, size: Int) {
    if size % 8 == 0 {
        for b in 0..<blocks {
            let wb = SIMD8<Float>(repeating: w[b])
            var j = b * size
            let end = j + size
            while j < end {
                store8(load8(out + j) + wb * load8(x + j), out + j)
                j += 8
            }
        }
    } else {
        for b in 0..<blocks {
            let wb = w[b]
            for j in (b * size)..<((b + 1) * size) { out[j] += wb * x[j] }
        }
    }
}

/// out[b] = a[block b] · x[block b] for each of `blocks` column blocks of `size`.
@inline(__always)
func blockDots(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
               blocks: Int, size: Int) {
    for b in 0..<blocks { out[b] = dotRows(a + b * size, x + b * size, size) }
}

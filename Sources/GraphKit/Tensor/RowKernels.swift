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

/// out[0..<d] = Σ_{k ∈ entries} x[row(k)] with column block b of each row
/// scaled by weights(k)[b]: `accumulateRows` with one weight per column block
/// of `size` columns. Held in registers 32 columns at a time when `size` is a
/// multiple of 8; each output row is written once.
@inline(__always)
func accumulateBlockRows(into out: UnsafeMutablePointer<Float>, d: Int, size: Int, entries: Range<Int>,
                         from x: UnsafePointer<Float>, row: (Int) -> Int,
                         weights: (Int) -> UnsafePointer<Float>) {
    guard size % 8 == 0 else {
        for c in 0..<d { out[c] = 0 }
        for k in entries {
            let (w, xr) = (weights(k), x + row(k) * d)
            for c in 0..<d { out[c] += w[c / size] * xr[c] }
        }
        return
    }
    var c = 0
    while c + 32 <= d {
        let (b0, b1, b2, b3) = (c / size, (c + 8) / size, (c + 16) / size, (c + 24) / size)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        for k in entries {
            let w = weights(k)
            let xr = x + row(k) * d + c
            s0 += SIMD8<Float>(repeating: w[b0]) * load8(xr)
            s1 += SIMD8<Float>(repeating: w[b1]) * load8(xr + 8)
            s2 += SIMD8<Float>(repeating: w[b2]) * load8(xr + 16)
            s3 += SIMD8<Float>(repeating: w[b3]) * load8(xr + 24)
        }
        store8(s0, out + c)
        store8(s1, out + c + 8)
        store8(s2, out + c + 16)
        store8(s3, out + c + 24)
        c += 32
    }
    while c + 8 <= d {
        let b = c / size
        var s0 = SIMD8<Float>()
        for k in entries { s0 += SIMD8<Float>(repeating: weights(k)[b]) * load8(x + row(k) * d + c) }
        store8(s0, out + c)
        c += 8
    }
}

/// out[b] = a[block b] · x[block b] for each of `blocks` column blocks of `size`.
@inline(__always)
func blockDots(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
               blocks: Int, size: Int) {
    for b in 0..<blocks { out[b] = dotRows(a + b * size, x + b * size, size) }
}

/// o[j] = max(o[j], m[j]) for j < d, and a[j] = edge wherever m[j] wins
/// (strictly greater, so ties stay with the earlier entry), 8 lanes at a time.
@inline(__always)
func maxInto(_ o: UnsafeMutablePointer<Float>, argmax a: UnsafeMutablePointer<Int32>,
             from m: UnsafePointer<Float>, edge: Int32, d: Int) {
    var j = 0
    let e = SIMD8<Int32>(repeating: edge)
    while j + 8 <= d {
        let (mv, ov) = (load8(m + j), load8(o + j))
        let wins = mv .> ov
        store8(ov.replacing(with: mv, where: wins), o + j)
        let av = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Int32>.self)
        UnsafeMutableRawPointer(a + j).storeBytes(of: av.replacing(with: e, where: wins), as: SIMD8<Int32>.self)
        j += 8
    }
    while j < d {
        if m[j] > o[j] { o[j] = m[j]; a[j] = edge }
        j += 1
    }
}

/// out[j] += g[j] wherever a[j] == edge, for j < d, 8 lanes at a time: the
/// gradient of the max entries that `edge` won.
@inline(__always)
func addWhereWon(into out: UnsafeMutablePointer<Float>, from g: UnsafePointer<Float>,
                 argmax a: UnsafePointer<Int32>, edge: Int32, d: Int) {
    var j = 0
    let e = SIMD8<Int32>(repeating: edge)
    let zero = SIMD8<Float>()
    while j + 8 <= d {
        let won = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Int32>.self) .== e
        store8(load8(out + j) + zero.replacing(with: load8(g + j), where: won), out + j)
        j += 8
    }
    while j < d {
        if a[j] == edge { out[j] += g[j] }
        j += 1
    }
}

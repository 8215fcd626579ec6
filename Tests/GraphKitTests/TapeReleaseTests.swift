import GraphKit
import TestSupport
import Testing

/// `backwardReleasing(from:)`: the same gradients as `backward(from:)`, and a
/// tape that lets its values go.
@Suite struct TapeReleaseTests {
    @Test func sameGradientsAndValuesReleased() {
        let x = randomTensor(30, 8, seed: 80), w = randomTensor(8, 4, seed: 81)
        func run(releasing: Bool) -> ([[Float]], Tape) {
            let (px, pw) = (Parameter(x, name: "x"), Parameter(w, name: "w"))
            let tape = Tape()
            let h = leakyReLU(matmul(gatherRows(tape.watch(px), [3, 7, 3, 29]), tape.watch(pw)), negativeSlope: 0.1)
            let loss = sum(l2NormalizeRows(h) * h)
            if releasing { tape.backwardReleasing(from: loss) } else { tape.backward(from: loss) }
            return ([px.grad.scalars, pw.grad.scalars], tape)
        }
        let (kept, keptTape) = run(releasing: false)
        let (released, releasedTape) = run(releasing: true)
        #expect(kept == released)
        #expect(!keptTape.isReleased)
        #expect(releasedTape.isReleased)
    }
}

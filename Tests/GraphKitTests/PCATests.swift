import Foundation
import GraphKit
import Testing

@Suite struct PCATests {
    /// Points (±2, 0), (0, ±1): centred already, covariance diag(8/3, 2/3), so the shares are
    /// 0.8 and 0.2 and the coordinates are the points themselves. Rotating the points by 30°
    /// and shifting them by (5, −3) changes neither, and a third, constant column adds nothing.
    @Test func aHandWorkedProjection() throws {
        let base: [(Double, Double)] = [(2, 0), (0, 1), (-2, 0), (0, -1)]
        let (c, s) = (cos(Double.pi / 6), sin(Double.pi / 6))
        let rotated = base.map { (x, y) in (c * x - s * y + 5, s * x + c * y - 3) }
        for points in [base, rotated] {
            let x = Tensor(rows: 4, cols: 3, scalars: points.flatMap { [Float($0.0), Float($0.1), 7] })
            let pca = try principalComponents(of: x, count: 2)
            #expect(abs(pca.explainedVariance[0] - 0.8) < 1e-6 && abs(pca.explainedVariance[1] - 0.2) < 1e-6)
            for (k, p) in base.enumerated() {
                #expect(abs(pca.coordinates[k][0] - p.0) < 1e-5 && abs(pca.coordinates[k][1] - p.1) < 1e-5,
                        "point \(k): \(pca.coordinates[k]) against \(p)")
            }
        }
    }

    @Test func badInputIsAnError() {
        #expect(throws: PCAError.self) { try principalComponents(of: Tensor(rows: 1, cols: 3, scalars: [1, 2, 3]), count: 2) }
        #expect(throws: PCAError.self) { try principalComponents(of: Tensor(rows: 3, cols: 1, scalars: [1, 2, 3]), count: 2) }
        #expect(throws: PCAError.self) {
            try principalComponents(of: Tensor(rows: 2, cols: 2, scalars: [1, .nan, 3, 4]), count: 2)
        }
    }
}

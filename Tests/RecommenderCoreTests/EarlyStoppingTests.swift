import Testing
@testable import RecommenderCore

@Suite struct EarlyStoppingTests {
    @Test func roundingIsPythonsRoundOnTheBinaryValue() {
        // Python 3: round(0.00015, 4) == 0.0001, round(0.00025, 4) == 0.0003,
        // round(2.675, 2) == 2.67, round(0.5) == 0, round(1.5) == 2.
        #expect(EarlyStopping(patience: 1, decimals: 4).compared(0.00015) == 0.0001)
        #expect(EarlyStopping(patience: 1, decimals: 4).compared(0.00025) == 0.0003)
        #expect(EarlyStopping(patience: 1, decimals: 2).compared(2.675) == 2.67)
        #expect(EarlyStopping(patience: 1, decimals: 0).compared(0.5) == 0)
        #expect(EarlyStopping(patience: 1, decimals: 0).compared(1.5) == 2)
        #expect(EarlyStopping(patience: 1).compared(0.012345678) == 0.012345678)
    }

    @Test func aRiseBelowTheFourthDecimalIsNoGainWhenRounded() {
        // Valid Recall@20 per epoch; rounded to 4 decimals: .0100 .0100 .0100 .0101.
        let curve = [0.01000, 0.01004, 0.01003, 0.01012]
        var exact = EarlyStopping(patience: 2)
        #expect(curve.map { exact.observe($0).isBest } == [true, true, false, true])
        #expect(exact.best == 0.01012 && exact.sinceBest == 0)
        var mmrec = EarlyStopping(patience: 2, decimals: 4)
        let steps = curve.prefix(3).map { mmrec.observe($0) }
        #expect(steps.map(\.isBest) == [true, false, false])
        // Two validations without gain: stop after the third epoch, best epoch 1.
        #expect(steps.map(\.stop) == [false, false, true])
        #expect(mmrec.best == 0.01)
    }

    /// The epoch a run ends at if validation does not improve again, worked
    /// out by hand: patience 3, a gain at epoch 5, then none.
    @Test func theRunEndsPatienceValidationsAfterItsLastGain() {
        var rule = EarlyStopping(patience: 3)
        for value in [0.1, 0.2, 0.3, 0.4, 0.5] { _ = rule.observe(value) }  // epochs 1-5, each a gain
        #expect(rule.lastEpochWithoutGain(after: 5, evalEvery: 1, cap: 100) == 8)
        _ = rule.observe(0.5)  // epoch 6: no gain
        _ = rule.observe(0.4)  // epoch 7: no gain
        #expect(rule.lastEpochWithoutGain(after: 7, evalEvery: 1, cap: 100) == 8)
        #expect(rule.lastEpochWithoutGain(after: 7, evalEvery: 1, cap: 7) == 7)
        // Validating every 2 epochs, a gain at epoch 6: validations at 8, 10, 12; the
        // third without a gain ends it at 12, also seen from the unvalidated epoch 7.
        var sparse = EarlyStopping(patience: 3)
        _ = sparse.observe(0.1)
        #expect(sparse.lastEpochWithoutGain(after: 6, evalEvery: 2, cap: 100) == 12)
        #expect(sparse.lastEpochWithoutGain(after: 7, evalEvery: 2, cap: 100) == 12)
        #expect(sparse.lastEpochWithoutGain(after: 7, evalEvery: 2, cap: 10) == 10)
    }
}

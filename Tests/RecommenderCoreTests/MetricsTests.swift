import Foundation
import GraphKit
import Testing
@testable import RecommenderCore
import TestSupport

/// Metrics against a ranking worked out by hand.
///
/// One user with |T| = 4 held-out items; the top 5 are (hit, miss, hit, miss, miss).
/// hits(1) = 1, hits(3) = 2, hits(5) = 2.
@Suite struct MetricsTests {
    let keys = [1, 3, 5].flatMap { k in RankingMetric.allCases.map { MetricKey($0, at: k) } }
    let relevant = [true, false, true, false, false]

    func value(_ metric: RankingMetric, _ k: Int) -> Double {
        let values = rankingMetrics(relevant: relevant, heldOut: 4, keys: keys)
        return values[keys.firstIndex(of: MetricKey(metric, at: k))!]
    }

    @Test func recallPrecisionAndHit() {
        // recall = hits / |T|: 1/4, 2/4, 2/4. precision = hits / K: 1, 2/3, 2/5.
        #expect(value(.recall, 1) == 0.25)
        #expect(value(.recall, 3) == 0.5)
        #expect(value(.recall, 5) == 0.5)
        #expect(value(.precision, 1) == 1)
        #expect(abs(value(.precision, 3) - 2.0 / 3) < 1e-12)
        #expect(value(.precision, 5) == 0.4)
        #expect(value(.hit, 1) == 1 && value(.hit, 5) == 1)
    }

    @Test func ndcgIdealUsesMinOfHeldOutAndK() {
        // DCG@3 = 1/log2(2) + 1/log2(4) = 1.5.
        // IDCG@3 = 1 + 1/log2(3) + 1/log2(4) = 2.1309298 → NDCG@3 = 0.7039180.
        // IDCG@5 has min(|T| = 4, 5) = 4 terms: 2.1309298 + 1/log2(5) = 2.5616064 → NDCG@5 = 0.5855700.
        // GRCN's code would use min(hits = 2, K) = 2 terms: 1.6309298 → 0.9197 (wrong).
        #expect(value(.ndcg, 1) == 1)
        #expect(abs(value(.ndcg, 3) - 0.7039180) < 1e-6)
        #expect(abs(value(.ndcg, 5) - 0.5855700) < 1e-6)
        #expect(abs(value(.ndcg, 5) - 1.5 / 1.6309298) > 0.3)
    }

    @Test func meanAveragePrecision() {
        // map@K = Σ_{r ≤ K} P@r · rel_r / min(|T|, K):
        // @1: 1/1 = 1; @3: (1 + 2/3) / 3 = 0.5555556; @5: (1 + 2/3) / 4 = 0.4166667.
        #expect(value(.map, 1) == 1)
        #expect(abs(value(.map, 3) - 0.5555556) < 1e-6)
        #expect(abs(value(.map, 5) - 0.4166667) < 1e-6)
    }

    @Test func aListShorterThanKCountsAsMisses() {
        // Two items ranked, both relevant, |T| = 2, K = 5: precision 2/5, recall 1, NDCG 1.
        let k5 = [MetricKey(.precision, at: 5), MetricKey(.recall, at: 5), MetricKey(.ndcg, at: 5)]
        #expect(rankingMetrics(relevant: [true, true], heldOut: 2, keys: k5) == [0.4, 1, 1])
    }

    @Test func metricKeysParseAndRefuseBadInput() throws {
        #expect(try MetricKey(parsing: "NDCG@20") == MetricKey(.ndcg, at: 20))
        #expect(throws: ConfigError.self) { try MetricKey(parsing: "recall@0") }
        #expect(throws: ConfigError.self) { try MetricKey(parsing: "auc@10") }
        #expect(throws: ConfigError.self) { try MetricKey(parsing: "recall") }
    }
}

/// The evaluator on a hand-made dataset and fixed scores.
///
/// Items 0...5. u0 trains on {0, 1}, validates on {2}, tests on {3}. u1 trains
/// on {2}, validates on {3}, tests on {4}. u2 has only a test item {5}, so it
/// is left out and counted.
@Suite struct EvaluatorTests {
    let dataset: Dataset
    let scorer: FixedScorer
    let keys = [MetricKey(.recall, at: 1), MetricKey(.recall, at: 3), MetricKey(.ndcg, at: 3)]

    init() throws {
        dataset = try makeDataset([(0, 0, .train), (0, 1, .train), (0, 2, .valid), (0, 3, .test),
                                   (1, 2, .train), (1, 3, .valid), (1, 4, .test), (2, 5, .test)])
        // u0 prefers items in id order, with a tie between 3 and 4; u1 ties everything.
        scorer = FixedScorer(matrix: .init([[9, 8, 7, 6, 6, 1], [5, 5, 5, 5, 5, 5], [0, 0, 0, 0, 0, 1]]))
    }

    @Test func validationMasksTrainingItemsAndBreaksTiesByLowerId() throws {
        // u0: ranking 2, 3, 4, 5 → valid item 2 first: recall@1 1, NDCG@3 1.
        // u1: ranking 0, 1, 3, 4, 5 (2 masked) → item 3 at rank 3: recall@1 0, recall@3 1, NDCG@3 1/log2(4) = 0.5.
        let result = try Evaluator(dataset: dataset, protocol: EvaluationProtocol(metrics: keys))
            .evaluate(scorer, on: .valid)
        #expect(result.evaluatedUsers == 2)
        #expect(result[MetricKey(.recall, at: 1)] == 0.5)
        #expect(result[MetricKey(.recall, at: 3)] == 1)
        #expect(result[MetricKey(.ndcg, at: 3)] == 0.75)
    }

    @Test func testMasksValidationItemsByDefault() throws {
        // u0: 0, 1, 2 masked → 3 first: recall@1 1. u1: 2, 3 masked → 0, 1, 4: item 4 at rank 3.
        let result = try Evaluator(dataset: dataset, protocol: EvaluationProtocol(metrics: keys))
            .evaluate(scorer, on: .test)
        #expect(result.evaluatedUsers == 2)
        #expect(result.usersWithoutTraining == 1)
        #expect(result[MetricKey(.recall, at: 1)] == 0.5)
        #expect(result[MetricKey(.recall, at: 3)] == 1)
        #expect(result[MetricKey(.ndcg, at: 3)] == 0.75)
    }

    @Test func testWithoutValidationMasking() throws {
        // u0: 2, 3, 4 → test item 3 at rank 2: recall@3 1, NDCG@3 1/log2(3) = 0.6309298.
        // u1: 0, 1, 3 → item 4 at rank 4: recall@3 0, NDCG@3 0.
        let result = try Evaluator(dataset: dataset,
                                   protocol: EvaluationProtocol(metrics: keys, maskValidInTest: false))
            .evaluate(scorer, on: .test)
        #expect(result[MetricKey(.recall, at: 1)] == 0)
        #expect(result[MetricKey(.recall, at: 3)] == 0.5)
        #expect(abs(result[MetricKey(.ndcg, at: 3)] - 0.6309298 / 2) < 1e-6)
    }

    @Test func blockSizeDoesNotChangeTheResult() throws {
        let one = try Evaluator(dataset: dataset, protocol: EvaluationProtocol(metrics: keys, blockUsers: 1))
            .evaluate(scorer, on: .test)
        let all = try Evaluator(dataset: dataset, protocol: EvaluationProtocol(metrics: keys, blockUsers: 64))
            .evaluate(scorer, on: .test)
        #expect(one.values == all.values)
    }

    @Test func nanScoresAreAnErrorNotANumber() {
        // Item 4 is not masked for u0, so its NaN must be seen.
        let bad = FixedScorer(matrix: .init([[1, 1, 1, 1, .nan, 1], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]]))
        #expect(throws: EvaluationError.self) {
            try Evaluator(dataset: dataset, protocol: EvaluationProtocol(metrics: keys)).evaluate(bad, on: .valid)
        }
    }

    @Test func sampledProtocolRanksHeldOutAmongNonInteractedItems() throws {
        // u0 interacted with 0, 1, 2, 3: the candidates are 4 and 5 (fewer than 1000: all, and counted).
        // Test ranking among {3, 4, 5}: 3 (6) ties 4 (6), lower id first → recall@1 1.
        // u1 interacted with 2, 3, 4: candidates 0, 1, 5; ranking among {0, 1, 4, 5} all tied → 4 third.
        let evaluator = Evaluator(dataset: dataset,
                                  protocol: EvaluationProtocol(ranking: .sampled(candidates: 1000), metrics: keys))
        #expect(evaluator.sampledCandidates(user: 0, count: 1000).items == [4, 5])
        let result = try evaluator.evaluate(scorer, on: .test)
        #expect(result.usersWithFewCandidates == 2)
        #expect(result[MetricKey(.recall, at: 1)] == 0.5)
        #expect(result[MetricKey(.recall, at: 3)] == 1)
    }

    /// The 1,000-draw path: 40 users over 1,500 items, so every user's
    /// candidates are drawn, then ranked with the held-out items. Recall@10 and
    /// NDCG@10 are worked out here from the candidates and the scores, by a
    /// plain sort (ties to the lower id), against the evaluator's heap.
    @Test func sampledProtocolRanksTheThousandDrawnCandidates() throws {
        var random = LCG(state: 7)
        var triples: [(Int32, Int32, Split)] = []
        for u in 0..<Int32(40) {
            var items = Set<Int32>()
            while items.count < 23 { items.insert(Int32(random.next() % 1500)) }
            for (n, i) in items.sorted().enumerated() { triples.append((u, i, n < 20 ? .train : n < 21 ? .valid : .test)) }
        }
        triples.append((0, 1499, .train))  // item 1499 exists
        let data = try makeDataset(triples)
        var matrix = Tensor(rows: 40, cols: 1500)
        for u in 0..<40 { for i in 0..<1500 { matrix[u, i] = Float(random.next() % 64) / 64 } }  // coarse: ties
        // Even users' test items score higher, most of them into the top 10, some not.
        for u in stride(from: 0, to: 40, by: 2) { for i in data.test[u] { matrix[u, Int(i)] += 0.75 } }
        let keys = [MetricKey(.recall, at: 10), MetricKey(.ndcg, at: 10)]
        let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol(ranking: .sampled(candidates: 1000), metrics: keys))
        let result = try evaluator.evaluate(FixedScorer(matrix: matrix), on: .test)
        var (recall, ndcg) = (0.0, 0.0)
        for u in 0..<40 {
            let drawn = evaluator.sampledCandidates(user: u, count: 1000)
            #expect(!drawn.exhausted && drawn.items.count == 1000)
            let held: [Int32] = Array(data.test[u])
            let score = { (i: Int32) -> Float in matrix[u, Int(i)] }
            let ranked: [Int32] = Array((held + drawn.items).sorted { a, b in
                score(a) != score(b) ? score(a) > score(b) : a < b
            }.prefix(10))
            let hits: [Int] = ranked.indices.filter { held.contains(ranked[$0]) }
            recall += Double(hits.count) / Double(held.count)
            var dcg = 0.0, idcg = 0.0
            for p in hits { dcg += 1 / log2(Double(p + 2)) }
            for p in 0..<min(held.count, 10) { idcg += 1 / log2(Double(p + 2)) }
            ndcg += dcg / idcg
        }
        #expect(result.evaluatedUsers == 40 && result.usersWithFewCandidates == 0)
        #expect(abs(result[keys[0]] - recall / 40) < 1e-12, "\(result[keys[0]]) against \(recall / 40)")
        #expect(abs(result[keys[1]] - ndcg / 40) < 1e-12, "\(result[keys[1]]) against \(ndcg / 40)")
        #expect(recall > 0, "no hits at all: the check would not see a wrong ranking")
    }

    @Test func sampledCandidatesAreSeededPerUserAndNeverInteracted() throws {
        let data = try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/tiktok.json")))
        let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol(ranking: .sampled(candidates: 1000)))
        let a = evaluator.sampledCandidates(user: 7, count: 1000)
        let b = evaluator.sampledCandidates(user: 7, count: 1000)
        #expect(a.items == b.items && a.items.count == 1000 && Set(a.items).count == 1000)
        for i in a.items {
            #expect(!data.train.contains(7, i) && !data.valid.contains(7, i) && !data.test.contains(7, i))
        }
        #expect(evaluator.sampledCandidates(user: 8, count: 1000).items != a.items)
    }

    @Test func mostPopularScoresByTrainingDegree() throws {
        // Training degrees: item 0: 1, 1: 1, 2: 1 (u1), others 0.
        let scores = MostPopular(dataset: dataset).scores(users: [0])
        #expect(scores.scalars == [1, 1, 1, 0, 0, 0])
    }
}

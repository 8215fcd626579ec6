import Foundation
import GraphKit
import Testing
@testable import RecommenderCore

/// One learned score per item, from random values: a model whose rankings
/// have hits at many ranks.
final class LearnedItemBias: Recommender {
    static let name = "LearnedItemBias"
    static let hyperparameters: [HyperparameterSpec] = []
    let bias: Parameter
    let users: Int

    init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        var rng = RandomGenerator(seed: seed)
        bias = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: 1, rng: &rng), name: "item_bias")
        users = dataset.userCount
    }

    var parameters: [Parameter] { [bias] }

    func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let b = tape.watch(bias)
        return bprLoss(positive: gatherRows(b, batch.positives), negative: gatherRows(b, batch.negatives))
    }

    func makeScorer() throws -> Scorer {
        DotProductScorer(users: Tensor(rows: users, cols: 1, repeating: 1), items: bias.value)
    }
}

/// Per-user metric values from where the held-out items landed: worked by
/// hand on three users, and equal, averaged, to the evaluator's metrics.
@Suite struct RankedHitsTests {
    /// Users 0, 1, 2 with lists [5, 2, 9], [1, 3, 4] and [7, 8] (masking left
    /// two items), held out {2, 7}, {6} and {8}.
    func threeUsers() -> RankedHits {
        let detail = EvaluationDetail(users: [0, 1, 2], metrics: [], perUser: [], listLength: 3,
                                      lists: [5, 2, 9, 1, 3, 4, 7, 8, -1])
        let heldOut = UserItemLists(userCount: 3, users: [0, 0, 1, 2], items: [2, 7, 6, 8])
        return RankedHits(detail, heldOut: heldOut)
    }

    @Test func valuesWorkedByHand() throws {
        let hits = threeUsers()
        #expect(hits.entries == [.init(position: 0, heldOut: 2, ranks: [1]), .init(position: 2, heldOut: 1, ranks: [1])])
        // User 0: one of two held-out items at rank 2. User 1: none. User 2: its one item at rank 2.
        #expect(hits.values(of: MetricKey(.recall, at: 2)) == [0.5, 0, 1])
        #expect(hits.values(of: MetricKey(.precision, at: 2)) == [0.5, 0, 0.5])
        #expect(hits.values(of: MetricKey(.hit, at: 1)) == [0, 0, 0])
        // NDCG@2: (1/log2 3) / (1 + 1/log2 3) = 0.386853 for user 0, 1/log2 3 = 0.630930 for user 2.
        let ndcg = hits.values(of: MetricKey(.ndcg, at: 2))
        #expect(abs(ndcg[0] - 0.38685280723454163) < 1e-15 && ndcg[1] == 0 && abs(ndcg[2] - 0.6309297535714575) < 1e-15)
        // MAP@2: precision 1/2 at the hit, over min(held out, 2) = 2 and 1.
        #expect(hits.values(of: MetricKey(.map, at: 2)) == [0.25, 0, 0.5])
    }

    @Test func compactJSONRoundTripsAndBadTextIsRefused() throws {
        let hits = threeUsers()
        let data = try JSONEncoder().encode(hits)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(object["hits"] as? String == "0:2:1 2:1:1" && object["users"] as? Int == 3 && object["depth"] as? Int == 3)
        #expect(try JSONDecoder().decode(RankedHits.self, from: data) == hits)
        for bad in ["0:2:3", "3:1:0", "0:0:1", "0:2", "x:1:0"] {
            let text = #"{"depth": 3, "users": 3, "hits": "\#(bad)"}"#
            #expect(throws: DecodingError.self, "\(bad)") { try JSONDecoder().decode(RankedHits.self, from: Data(text.utf8)) }
        }
    }

    /// On TikTok, the per-user values of a trained model, averaged, are the
    /// evaluator's test metrics bit for bit, for all fifteen.
    @Test func averagedValuesAreTheEvaluatorsMetrics() throws {
        let data = try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/tiktok.json")))
        var options = TrainingOptions()
        options.epochs = 1
        let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol())
        let result = Trainer(dataset: data, options: options, evaluator: evaluator)
            .train(try LearnedItemBias(dataset: data, hyperparameters: Hyperparameters([:], specs: [], model: "t"), seed: 3),
                   seed: 3, progress: ProgressReporter(label: "t", mode: .quiet))
        let hits = try #require(result.testHits)
        #expect(hits.users == result.test?.evaluatedUsers && hits.depth == 50)
        for key in EvaluationProtocol.defaultMetrics {
            let values = hits.values(of: key)
            #expect(values.reduce(0, +) / Double(values.count) == result.test?.values[key], "\(key)")
        }
    }
}

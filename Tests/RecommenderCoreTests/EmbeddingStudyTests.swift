import Foundation
import GraphKit
import Testing
import TestSupport
@testable import RecommenderCore

@Suite struct EmbeddingStudyTests {
    let data: Dataset

    init() throws {
        data = try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/mmgcn-toy.json")))
    }

    @Test func theSampledUsersAreFixedAndHaveEightToThirtyTrainingItems() {
        let users = EmbeddingStudy.sampleUsers(data)
        #expect(users.count == 5 && Set(users).count == 5)
        #expect(users.allSatisfy { (8...30).contains(data.train.count(Int($0))) })
        #expect(EmbeddingStudy.sampleUsers(data) == users)
    }

    /// TikTok's users have at most 4 training items or more than 300: the study draws among those
    /// with at least 8 and shows 30 of each one's items, the same 30 every time.
    @Test func onTikTokTheUsersHaveManyItemsAndThirtyAreShown() throws {
        let tiktok = try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/tiktok.json")))
        #expect((0..<tiktok.userCount).filter { (8...30).contains(tiktok.train.count($0)) }.isEmpty)
        let users = EmbeddingStudy.sampleUsers(tiktok)
        #expect(users.count == 5 && Set(users).count == 5 && users.allSatisfy { tiktok.train.count(Int($0)) > 300 })
        for u in users {
            let shown = EmbeddingStudy.shownItems(of: u, tiktok)
            #expect(shown.count == 30 && Set(shown).count == 30 && shown == shown.sorted())
            #expect(shown.allSatisfy { tiktok.train.contains(Int(u), $0) })
            #expect(EmbeddingStudy.shownItems(of: u, tiktok) == shown)
        }
        // Two users' draws differ.
        #expect(EmbeddingStudy.shownItems(of: users[0], tiktok) != EmbeddingStudy.shownItems(of: users[1], tiktok))
    }

    /// Two-dimensional representations: PCA to two components is a rotation (and a shift), so every
    /// distance between two plotted points equals the distance between their vectors.
    @Test func aProjectionOfTwoDimensionalVectorsKeepsEveryDistance() throws {
        var rng = RandomGenerator(seed: 9)
        let users = Tensor(rows: data.userCount, cols: 2, scalars: (0..<(2 * data.userCount)).map { _ in rng.nextNormal() })
        let items = Tensor(rows: data.itemCount, cols: 2, scalars: (0..<(2 * data.itemCount)).map { _ in rng.nextNormal() })
        let sample = EmbeddingStudy.sampleUsers(data)
        let projection = try EmbeddingStudy.project(users: users, items: items, sample: sample, dataset: data)
        let expectedItems = sample.reduce(0) { $0 + data.train.count(Int($1)) }  // all 8 to 30 of each user's items
        #expect(projection.points.count == 5 + expectedItems)
        #expect(projection.points.prefix(5).map(\.id) == sample)
        #expect(abs(projection.explainedVariance.reduce(0, +) - 1) < 1e-9)
        func vector(_ p: EmbeddingProjection.Point) -> (Double, Double) {
            let t = p.kind == "user" ? users : items
            return (Double(t[Int(p.id), 0]), Double(t[Int(p.id), 1]))
        }
        for (a, b) in [(0, 1), (0, 7), (3, 20), (5, projection.points.count - 1)] {
            let (p, q) = (projection.points[a], projection.points[b])
            let (u, v) = (vector(p), vector(q))
            let original = ((u.0 - v.0) * (u.0 - v.0) + (u.1 - v.1) * (u.1 - v.1)).squareRoot()
            let plotted = ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)).squareRoot()
            #expect(abs(original - plotted) < 1e-5, "points \(a), \(b)")
        }
    }
}

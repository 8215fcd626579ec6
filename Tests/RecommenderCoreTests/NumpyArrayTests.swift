import Foundation
import Testing
@testable import RecommenderCore

/// The `.npy` reader: every supported dtype and version, real files, and every bad input.
@Suite struct NumpyArrayTests {
    let values: [Float] = [1.5, -2.25, 0.125, 1024, -0.5, 3]

    @Test func readsFloat16Float32AndFloat64() throws {
        // Every value is exact in float16, so all three must give the same Float32s.
        let f2 = littleEndianBytes(values.map { Float16($0).bitPattern })
        let f4 = littleEndianBytes(values.map(\.bitPattern))
        let f8 = littleEndianBytes(values.map { Double($0).bitPattern })
        for (descr, payload) in [("<f2", f2), ("<f4", f4), ("<f8", f8)] {
            let t = try NumpyArray.parseMatrix(npyBytes(descr: descr, shape: [2, 3], payload: payload), file: descr)
            #expect(t.rows == 2 && t.cols == 3)
            #expect(t.scalars == values, "\(descr)")
        }
    }

    @Test func readsFormatVersionsTwoAndThree() throws {
        let payload = littleEndianBytes(values.map(\.bitPattern))
        for version: UInt8 in [2, 3] {
            let t = try NumpyArray.parseMatrix(npyBytes(descr: "<f4", shape: [3, 2], payload: payload, version: version),
                                               file: "v\(version)")
            #expect(t.rows == 3 && t.scalars == values)
        }
    }

    @Test func readsTheRealFeatureFiles() throws {
        // Reference values printed by numpy 2.4 from the same files.
        let image = try NumpyArray.loadMatrix(repositoryPath("Data/tiktok/image_feat.npy"))
        #expect(image.rows == 6710 && image.cols == 128)
        #expect(Array(image.scalars.prefix(3)) == [2.583984375, 0.95947265625, 6.234375])
        #expect(image[6709, 127] == 2.87890625)
        #expect(abs(image.sum - 2309677.059724629) < 1e-3)
        let visual = try NumpyArray.loadMatrix(repositoryPath("Data/mmgcn-toy/v_feat.npy"))
        #expect(visual.rows == 1651 && visual.cols == 128)
        #expect(visual[5, 7] == Float(2.499215841293335))
    }

    func expectError(_ data: Data, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try NumpyArray.parseMatrix(data, file: "bad.npy")
            Issue.record("no error for a file that should contain '\(text)'", sourceLocation: sourceLocation)
        } catch let error as DataError {
            #expect(error.file == "bad.npy", sourceLocation: sourceLocation)
            #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func badInputsAreErrorsNamingTheFile() {
        let payload = littleEndianBytes(values.map(\.bitPattern))
        expectError(Data("not numpy at all".utf8), containing: "magic")
        expectError(npyBytes(descr: "<i8", shape: [2, 3], payload: payload + payload), containing: "unsupported dtype '<i8'")
        expectError(npyBytes(descr: ">f4", shape: [2, 3], payload: payload), containing: "unsupported dtype '>f4'")
        expectError(npyBytes(descr: "<f4", fortran: true, shape: [2, 3], payload: payload), containing: "Fortran")
        expectError(npyBytes(descr: "<f4", shape: [2, 3], payload: payload.prefix(20)), containing: "truncated")
        expectError(npyBytes(descr: "<f4", shape: [6], payload: payload), containing: "2-D")
        // A matrix with no feature columns, or no rows, is not a modality.
        expectError(npyBytes(descr: "<f4", shape: [2, 0], payload: Data()),
                    containing: "header: shape [2, 0] has no columns; expected at least one item row and one feature column")
        expectError(npyBytes(descr: "<f4", shape: [0, 3], payload: Data()), containing: "shape [0, 3] has no rows")
        expectError(npyBytes(descr: "<f4", shape: [2, 3], payload: payload, version: 4), containing: "version 4.0")
        expectError(npyBytes(descr: "<f4", shape: [2, 3], payload: payload).prefix(30), containing: "truncated")
        var noShape = npyBytes(descr: "<f4", shape: [2, 3], payload: payload)
        noShape.replaceSubrange(noShape.range(of: Data("'shape'".utf8))!, with: Data("'shapf'".utf8))
        expectError(noShape, containing: "missing key 'shape'")
    }

    @Test func theRealIntegerFileIsRefused() {
        // mmgcn-toy's t_feat.npy holds int64 (item, word) pairs, not a feature matrix.
        #expect(throws: DataError.self) { try NumpyArray.loadMatrix(repositoryPath("Data/mmgcn-toy/t_feat.npy")) }
    }

    /// A folder or an empty path where an .npy file should be: said so, not "cannot read".
    @Test func aFolderOrAnEmptyPathIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("npy-folder-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (path, expected) in [(folder.path, "\(folder.path): is a folder; expected a file"),
                                 ("", "the file path is empty; expected a file")] {
            do {
                _ = try NumpyArray.loadMatrix(path)
                Issue.record("no error for '\(path)'")
            } catch let error as DataError {
                #expect(error.description.contains(expected), "\(error)")
            }
        }
    }

    @Test func aMissingFileIsNamed() {
        do {
            _ = try NumpyArray.loadMatrix("/nonexistent/feat.npy")
            Issue.record("no error")
        } catch let error as DataError {
            #expect(error.description == "/nonexistent/feat.npy: file not found")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

import Dispatch
import Foundation
import RecommenderCore

/// A claim on one run of a store, `runs/.KEY.claim`: taken before the run
/// trains and removed once its result is written, so that two `bench`
/// processes on one store (two shells, the processes of `bench run --jobs`,
/// Slurm tasks on a shared filesystem) never train the same run twice.
///
/// A claim is written under a unique temporary name and hard-linked to its
/// final name: link(2) fails when the name exists, and it is atomic on NFS
/// too, where `O_EXCL` has not always been. It holds the host, the process id
/// and the time it was taken, and its holder renews its modification time
/// every `renewal` seconds while the run trains. A claim is stale, its holder
/// gone, when it has not been renewed for `staleAfter` seconds, or sooner
/// when it names this host and no process with its id is alive. A stale claim
/// is taken over by renaming it away, which only one taker can do, and
/// claiming anew.
public final class RunClaim: @unchecked Sendable {
    /// The claim file.
    public let path: String
    private let timer: DispatchSourceTimer

    /// Seconds between renewals of a held claim.
    public static let renewal = 30.0
    /// A claim not renewed for this long is stale, whoever holds it.
    public static let staleAfter = 300.0

    private init(path: String) {
        self.path = path
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + Self.renewal, repeating: Self.renewal)
        timer.setEventHandler { [path] in
            // Renews the modification time; a claim file that is gone stays gone.
            utimes(path, nil)
        }
        timer.resume()
    }

    deinit {
        timer.cancel()
    }

    /// The claim file of run `key` in `runsFolder`.
    public static func path(key: String, in runsFolder: URL) -> String {
        runsFolder.appendingPathComponent(".\(key).claim").path
    }

    /// Claims run `key` in `runsFolder`; nil when a live process holds it.
    /// A stale claim is taken over.
    public static func acquire(key: String, in runsFolder: URL) throws -> RunClaim? {
        let target = path(key: key, in: runsFolder)
        let host = ProcessInfo.processInfo.hostName
        // A live claim is the common case while waiting on one: no file is written to find it.
        if access(target, F_OK) == 0 && staleFile(target, host: host) == nil && access(target, F_OK) == 0 { return nil }
        let content = "host \(host)\npid \(getpid())\nclaimed \(ISO8601DateFormatter().string(from: Date()))\n"
        // The writer's host and pid are in the name, so that a sweep can tell
        // an orphan even when its writer died before writing a byte.
        let temporary = runsFolder.appendingPathComponent(".\(key).claim.\(host).\(getpid()).\(UUID().uuidString).tmp").path
        // Written with POSIX calls: Foundation's createFile writes through a
        // temporary file of its own, which a process killed at that moment
        // would leave behind under a name that nothing can tell is a claim's.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw DataError(file: runsFolder.path, "cannot write a run claim in this folder: \(String(cString: strerror(errno)))")
        }
        let bytes = Array(content.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else {
            unlink(temporary)
            throw DataError(file: runsFolder.path, "cannot write a run claim in this folder: \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary) }
        // A few tries: after taking over a stale claim, or when the claim
        // went away between the failed link and the look at it.
        for _ in 0..<3 {
            if link(temporary, target) == 0 { return RunClaim(path: target) }
            guard errno == EEXIST else {
                throw DataError(file: target, "cannot claim the run: \(String(cString: strerror(errno)))")
            }
            if access(target, F_OK) != 0 { continue }
            guard let stale = staleFile(target, host: host) else { return nil }
            // Move the stale claim away. Only one taker's rename of it
            // succeeds; should another taker have claimed anew in between,
            // the file moved is that live claim (another inode), and goes back.
            let away = target + ".\(UUID().uuidString).stale"
            guard rename(target, away) == 0 else { continue }
            var moved = stat()
            if stat(away, &moved) == 0 && moved.st_ino != stale {
                _ = link(away, target)
                unlink(away)
                return nil
            }
            unlink(away)
        }
        return nil
    }

    /// The inode of the claim at `path` when it has lost its holder, else nil.
    static func staleFile(_ path: String, host: String) -> ino_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let age = Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec)
        if age > staleAfter { return info.st_ino }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard fields["host"] == host, let pid = fields["pid"].flatMap({ Int32($0) }) else { return nil }
        return kill(pid, 0) != 0 && errno == ESRCH ? info.st_ino : nil
    }

    /// Whether a temporary file named `.NAME.HOST.PID.UUID.tmp` (a claim's,
    /// or `AtomicFile`'s) was written by a process of `host` that no longer
    /// exists. False for a name without a writer in it.
    static func writerIsGone(temporary name: String, host: String) -> Bool {
        guard name.hasSuffix(".tmp") else { return false }
        let parts = name.dropLast(".tmp".count).split(separator: ".", omittingEmptySubsequences: false)
        // HOST may hold dots; PID and UUID do not.
        guard parts.count >= 4, let pid = Int32(parts[parts.count - 2]), pid > 0 else { return false }
        guard parts.dropLast(2).joined(separator: ".").hasSuffix("." + host) else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Gives the claim up: the run is stored, failed to store, or was interrupted.
    public func release() {
        timer.cancel()
        unlink(path)
    }

    /// Removes what killed processes left in `runsFolder`: temporary run and
    /// claim files (hidden, ending in `.tmp` or `.stale`) older than
    /// `staleAfter`, which no live writer still holds, and claims whose holder
    /// is gone (`staleFile`). A process killed after storing its run and
    /// before giving up the claim leaves such a claim beside a stored run,
    /// which no later run would take over. Returns how many.
    @discardableResult
    public static func sweep(_ runsFolder: URL) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: runsFolder.path) else { return 0 }
        var removed = 0
        let host = ProcessInfo.processInfo.hostName
        for name in names where name.hasPrefix(".") && name.hasSuffix(".claim") {
            let target = runsFolder.appendingPathComponent(name).path
            guard let stale = staleFile(target, host: host) else { continue }
            // As in `acquire`: move it away, and put it back should it be a
            // claim another process made in between (another inode).
            let away = target + ".\(UUID().uuidString).stale"
            guard rename(target, away) == 0 else { continue }
            var moved = stat()
            if stat(away, &moved) == 0 && moved.st_ino != stale {
                _ = link(away, target)
            } else {
                removed += 1
            }
            unlink(away)
        }
        let now = Date().timeIntervalSince1970
        for name in names where name.hasPrefix(".") && (name.hasSuffix(".tmp") || name.hasSuffix(".stale")) {
            let path = runsFolder.appendingPathComponent(name).path
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            // A temporary file says who wrote it, in its name (a claim's also in
            // its content): gone at once when that process is, even if it died
            // before writing a byte.
            let orphaned = writerIsGone(temporary: name, host: host)
                || (name.contains(".claim.") && name.hasSuffix(".tmp") && staleFile(path, host: host) != nil)
            guard orphaned || now - Double(info.st_mtim.tv_sec) > staleAfter else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}

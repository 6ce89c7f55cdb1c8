import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(i)` for `i` in `0..<count` on up to `threads` threads (default: all cores),
/// blocking until all are done. Use it for one level of parallelism only: never call it
/// from inside FFTW's or OpenBLAS's threads, nor nest it.
public func parallelFor(_ count: Int, threads: Int = ProcessorInfo.cores, _ body: (Int) -> Void) {
    if count <= 0 { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        // Contiguous chunks: neighbouring rows stay on one core's cache.
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = count * w / workers, end = count * (w + 1) / workers
            for i in start..<end { body(i) }
        }
    }
}

/// Facts about the machine the toolkit runs on.
public enum ProcessorInfo {
    /// The number of cores this process may use (at least 1): the CPUs it is allowed to run on
    /// (its affinity, which `taskset`, a SLURM allocation or a container's cpuset restrict), and
    /// no more than its cgroup's CPU quota grants (`docker run --cpus`). The machine's own count
    /// would put 64 threads on a 4-core allocation of a 64-core node.
    public static let cores: Int = {
        #if canImport(Glibc)
        let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        return available(online: online, allowed: status.flatMap(allowedCPUs(status:)), quota: cgroupQuota())
        #else
        return 1
        #endif
    }()

    /// `online` bounded by the allowed CPUs and by a quota of `quota` cores, rounded up: a
    /// quota of 1.5 cores lets two threads run most of the time.
    static func available(online: Int, allowed: Int?, quota: Double?) -> Int {
        var n = online
        if let allowed, allowed > 0 { n = min(n, allowed) }
        if let quota, quota > 0, quota < Double(n) { n = Int(quota.rounded(.up)) }
        return max(1, n)
    }

    /// The number of CPUs in `/proc/self/status`'s `Cpus_allowed_list` (`0-3,8,10-11` is 7),
    /// or nil when the line is missing or malformed.
    static func allowedCPUs(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var count = 0
        for part in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let bounds = part.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]), low <= high else {
                return nil
            }
            count += high - low + 1
        }
        return count > 0 ? count : nil
    }

    /// The tightest CPU quota, in cores, of this process's cgroup and its ancestors (cgroup v2's
    /// `cpu.max`, v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us`), or nil when there is none.
    static func cgroupQuota() -> Double? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        var quotas: [Double] = []
        for (root, path, version2) in cgroupDirectories(membership: membership) {
            // Every ancestor up to the mount point: a limit on a parent slice binds too.
            var components = path.split(separator: "/").map(String.init)
            while true {
                let directory = ([root] + components).joined(separator: "/")
                if version2 {
                    if let text = try? String(contentsOfFile: directory + "/cpu.max", encoding: .utf8), let q = quota(cpuMax: text) {
                        quotas.append(q)
                    }
                } else if let quota = try? String(contentsOfFile: directory + "/cpu.cfs_quota_us", encoding: .utf8),
                          let period = try? String(contentsOfFile: directory + "/cpu.cfs_period_us", encoding: .utf8),
                          let q = self.quota(cpuMax: quota.trimmingCharacters(in: .whitespacesAndNewlines) + " " + period) {
                    quotas.append(q)
                }
                if components.isEmpty { break }
                components.removeLast()
            }
        }
        return quotas.min()
    }

    /// Where to look for this process's CPU limits, from `/proc/self/cgroup`: the unified
    /// hierarchy (`0::/path`, mounted at /sys/fs/cgroup) and v1's `cpu` controller.
    static func cgroupDirectories(membership: String) -> [(root: String, path: String, version2: Bool)] {
        var directories: [(root: String, path: String, version2: Bool)] = []
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                directories.append(("/sys/fs/cgroup", path, true))
            } else if fields[1].split(separator: ",").contains("cpu") {
                for mount in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu"] {
                    directories.append((mount, path, false))
                }
            }
        }
        return directories
    }

    /// Cores granted by a `cpu.max` line, `QUOTA PERIOD` in microseconds (`150000 100000` is
    /// 1.5), or nil for `max` (no limit), v1's `-1`, or anything malformed.
    static func quota(cpuMax text: String) -> Double? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]), quota > 0, period > 0 else { return nil }
        return quota / period
    }
}

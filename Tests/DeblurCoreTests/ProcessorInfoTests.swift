@testable import DeblurCore
import Foundation
import Testing

@Suite struct ProcessorInfoTests {
    @Test func allowedCPUListsAreCounted() {
        #expect(ProcessorInfo.allowedCPUs(status: "Name:\tdeblur\nCpus_allowed:\tff\nCpus_allowed_list:\t0-3,8,10-11\nMems_allowed_list:\t0\n") == 7)
        #expect(ProcessorInfo.allowedCPUs(status: "Cpus_allowed_list:\t5\n") == 1)
        #expect(ProcessorInfo.allowedCPUs(status: "Cpus_allowed_list:\t0-63") == 64)
        #expect(ProcessorInfo.allowedCPUs(status: "Name:\tdeblur\n") == nil)
        #expect(ProcessorInfo.allowedCPUs(status: "Cpus_allowed_list:\t3-1\n") == nil)
        #expect(ProcessorInfo.allowedCPUs(status: "Cpus_allowed_list:\tx\n") == nil)
    }

    @Test func cpuQuotasAreRead() {
        #expect(ProcessorInfo.quota(cpuMax: "150000 100000\n") == 1.5)
        #expect(ProcessorInfo.quota(cpuMax: "400000 100000") == 4)
        #expect(ProcessorInfo.quota(cpuMax: "max 100000\n") == nil)
        #expect(ProcessorInfo.quota(cpuMax: "-1 100000") == nil)
        #expect(ProcessorInfo.quota(cpuMax: "") == nil)
    }

    @Test func cgroupMembershipNamesTheDirectories() {
        let v2 = ProcessorInfo.cgroupDirectories(membership: "0::/system.slice/job.scope\n")
        #expect(v2.map(\.root) == ["/sys/fs/cgroup"] && v2.map(\.path) == ["/system.slice/job.scope"] && v2.allSatisfy(\.version2))
        let v1 = ProcessorInfo.cgroupDirectories(membership: "4:memory:/a\n2:cpu,cpuacct:/slurm/uid_0/job_7\n0::/\n")
        #expect(v1.filter { !$0.version2 }.map(\.path) == Array(repeating: "/slurm/uid_0/job_7", count: 3))
        #expect(v1.filter(\.version2).count == 1)
    }

    @Test func theSmallestLimitWins() {
        #expect(ProcessorInfo.available(online: 64, allowed: 4, quota: nil) == 4)
        #expect(ProcessorInfo.available(online: 64, allowed: nil, quota: 1.5) == 2)
        #expect(ProcessorInfo.available(online: 64, allowed: 8, quota: 2) == 2)
        #expect(ProcessorInfo.available(online: 2, allowed: 8, quota: 1e300) == 2)
        #expect(ProcessorInfo.available(online: 2, allowed: nil, quota: 0.05) == 1)
    }

    /// This process's own limits: never more than the machine's online CPUs, never fewer than
    /// one, and no more than the CPUs the kernel lets it run on.
    @Test func theProcessCountIsWithinItsAffinity() throws {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect((1...max(1, online)).contains(ProcessorInfo.cores))
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let allowed = try #require(ProcessorInfo.allowedCPUs(status: status))
        #expect(ProcessorInfo.cores <= allowed)
    }
}

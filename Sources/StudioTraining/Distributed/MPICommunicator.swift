import CMPI
import Foundation

/// The world of an MPI job started by `mpirun` or `srun`: the one wrapper of Open MPI.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    private let world: MPI_Comm

    /// Environment variables `mpirun` (Open MPI, MPICH) or `srun` with PMI/PMIx set in every rank.
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// The job's world when this process was started by an MPI launcher, else nil (and MPI is never
    /// initialised, so a plain run behaves exactly as without MPI).
    public static func joinIfLaunched(environment: [String: String] = ProcessInfo.processInfo.environment) -> MPICommunicator? {
        guard launcherVariables.contains(where: { environment[$0] != nil }) else { return nil }
        return MPICommunicator()
    }

    private init() {
        var provided: Int32 = 0
        // Only the main thread calls MPI; the compute threads never do.
        MPI_Init_thread(nil, nil, genstudio_mpi_thread_funneled(), &provided)
        world = genstudio_mpi_comm_world()
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    public func sum(_ values: inout [Float]) {
        allreduce(&values, type: genstudio_mpi_float(), op: genstudio_mpi_sum())
    }

    public func sum(_ values: inout [Double]) {
        allreduce(&values, type: genstudio_mpi_double(), op: genstudio_mpi_sum())
    }

    public func maximum(_ values: inout [Double]) {
        allreduce(&values, type: genstudio_mpi_double(), op: genstudio_mpi_max())
    }

    private func allreduce<T>(_ values: inout [T], type: MPI_Datatype, op: MPI_Op) {
        precondition(values.count <= Int(Int32.max), "MPICommunicator: \(values.count) values exceed one MPI message")
        let count = Int32(values.count)
        values.withUnsafeMutableBytes { buffer in
            _ = MPI_Allreduce(genstudio_mpi_in_place(), buffer.baseAddress, count, type, op, world)
        }
    }

    public func barrier() { MPI_Barrier(world) }

    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    /// Leaves the job; the last call to MPI a rank makes.
    public func finish() { MPI_Finalize() }
}

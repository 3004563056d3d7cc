import Foundation

extension Shard {
    /// The shard of a Slurm job-array task (`sbatch --array=A-B`): its place among the array's
    /// tasks; nil outside a job array. Throws when the variables are present but unusable.
    public static func slurmArray(environment: [String: String]) throws -> Shard? {
        guard let idText = environment["SLURM_ARRAY_TASK_ID"] else { return nil }
        func number(_ key: String) throws -> Int {
            guard let text = environment[key], let value = Int(text) else {
                throw SampleError("--shard auto: \(key) is \(environment[key].map { "'\($0)'" } ?? "not set"); a Slurm job array sets it to a whole number")
            }
            return value
        }
        guard let id = Int(idText) else { throw SampleError("--shard auto: SLURM_ARRAY_TASK_ID is '\(idText)', not a whole number") }
        let count = try number("SLURM_ARRAY_TASK_COUNT")
        let first = environment["SLURM_ARRAY_TASK_MIN"] == nil ? 0 : try number("SLURM_ARRAY_TASK_MIN")
        let step = environment["SLURM_ARRAY_TASK_STEP"] == nil ? 1 : try number("SLURM_ARRAY_TASK_STEP")
        // A strided or gapped array (--array=0-9:2, --array=1,5) has ids that are not 0..<count.
        guard step >= 1, (id - first) % step == 0, (0..<count).contains((id - first) / step) else {
            throw SampleError("--shard auto: task \(id) of a Slurm array of \(count) tasks from \(first) in steps of \(step) has no place 0..<\(count); use a contiguous array such as --array=0-\(count - 1)")
        }
        return Shard(index: (id - first) / step, count: count)
    }

    /// The folder a shard of an automatically sharded job writes under the job's output directory:
    /// hidden, so that class-folder readers of the merged output do not take it for a class.
    public func directory(in output: URL) -> URL {
        output.appendingPathComponent(".shards").appendingPathComponent("\(index)-of-\(count)")
    }
}

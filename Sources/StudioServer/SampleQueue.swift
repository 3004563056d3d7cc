import Foundation
import StudioTraining

/// What a sample request asks for: the `genstudio sample` options a form can give.
public struct SampleRequest: Sendable {
    /// The checkpoint (run directory or checkpoint folder) relative to the runs folder.
    public var checkpoint: String
    /// Samples (`--count`).
    public var count = 16
    /// `--seed`.
    public var seed: UInt64 = 0
    /// `--classes`, for conditional models.
    public var classes: [Int]?
    /// `--interpolate`: points per walk, GANs and VAEs.
    public var interpolate: Int?
    /// `--sampler`, diffusion.
    public var sampler: String?
    /// `--denoising-steps`, diffusion.
    public var denoisingSteps: Int?
    /// `--eta`, DDIM.
    public var eta: Double?
    /// `--guidance`, conditional diffusion.
    public var guidance: Double?
    /// False for `--no-ema`.
    public var averagedWeights = true
    /// png (a grid), idx, safetensors or wav.
    public var format = "png"

    /// Bounds a browser cannot push past, so that one request cannot hold the machine for long.
    public static let maximumCount = 256, maximumSteps = 1000, maximumInterpolation = 32

    /// The defaults for `checkpoint`.
    public init(checkpoint: String) { self.checkpoint = checkpoint }

    /// The request the form fields `fields` describe, or an error naming the field and what it takes.
    public init(fields: [String: String]) throws {
        guard let checkpoint = fields["path"], !checkpoint.isEmpty else { throw StudioError("path: the checkpoint to sample from is missing") }
        self.checkpoint = checkpoint
        func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let text = fields[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw StudioError("\(key): expected a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
            }
            return value
        }
        func decimal(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
            guard let text = fields[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Double(text), value.isFinite, range.contains(value) else {
                throw StudioError("\(key): expected a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
            }
            return value
        }
        count = try integer("count", in: 1...Self.maximumCount) ?? count
        seed = UInt64(try integer("seed", in: 0...Int(Int32.max)) ?? 0)
        interpolate = try integer("interpolate", in: 2...Self.maximumInterpolation)
        denoisingSteps = try integer("denoising_steps", in: 1...Self.maximumSteps)
        eta = try decimal("eta", in: 0...1)
        guidance = try decimal("guidance", in: 0...20)
        if let text = fields["classes"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.contains(nil), parts.allSatisfy({ $0! >= 0 }) else {
                throw StudioError("classes: expected class numbers separated by commas, such as 3 or 0,3,7, got '\(text)'")
            }
            classes = parts.map { $0! }
        }
        if let sampler = fields["sampler"], !sampler.isEmpty { self.sampler = sampler }
        averagedWeights = fields["no_ema"] == nil
        if let format = fields["format"], !format.isEmpty {
            guard ["png", "idx", "safetensors", "wav"].contains(format) else {
                throw StudioError("format: expected png, idx, safetensors or wav, got '\(format)'")
            }
            self.format = format
        }
    }

    /// The library's sampling options for this request.
    func options() throws -> SamplingOptions {
        var options = SamplingOptions()
        options.sampler = try sampler.map(SamplingOptions.sampler(named:))
        options.steps = denoisingSteps
        options.eta = eta
        options.guidance = guidance
        options.averagedWeights = averagedWeights
        return options
    }
}

/// One sample job: where it stands and what it wrote.
public struct SampleJobStatus: Codable, Sendable {
    /// Waiting, drawing, written or failed.
    public enum State: String, Codable, Sendable { case queued, running, done, failed }
    /// The job's number, counted from 1 per server.
    public var id: Int
    /// Where the job stands.
    public var state: State
    /// Sampler steps done and in all (0 and 0 before the first, or for one-pass families).
    public var done = 0
    public var total = 0
    /// The written file relative to the runs folder, once done.
    public var output: String?
    /// The requested output format.
    public var format: String
    /// What `genstudio sample` would print, or the error.
    public var message = ""
}

/// Sample jobs run one at a time in the background, each with every compute thread, from a bounded
/// queue; what they write goes under the checkpoint's run directory, in `studio-samples/`.
public final class SampleQueue: @unchecked Sendable {
    /// Jobs waiting or running at most; more are refused until one ends.
    public static let capacity = 8
    private let folder: RunsFolder
    private let book = Book()

    /// The jobs and the queue, shared with the worker thread, which ends when the queue goes away.
    private final class Book: @unchecked Sendable {
        let lock = NSLock()
        var jobs: [Int: SampleJobStatus] = [:]
        var pending: [(Int, SampleRequest)] = []
        var nextID = 1
        var closed = false
        let wake = DispatchSemaphore(value: 0)

        func update(_ id: Int, _ change: (inout SampleJobStatus) -> Void) {
            lock.lock()
            if var job = jobs[id] { change(&job); jobs[id] = job }
            lock.unlock()
        }

        /// Jobs queued or running; the caller holds the lock.
        var activeCount: Int { jobs.values.filter { $0.state == .queued || $0.state == .running }.count }

        /// The next job, or nil once the queue is closed.
        func next() -> (Int, SampleRequest)? {
            while true {
                wake.wait()
                lock.lock()
                defer { lock.unlock() }
                if closed { return nil }
                if !pending.isEmpty { return pending.removeFirst() }
            }
        }
    }

    /// A queue writing under `folder`'s run directories, with its worker thread started.
    public convenience init(folder: RunsFolder) {
        self.init(folder: folder, working: true)
    }

    /// A queue whose jobs wait until a worker takes them; tests leave it out to hold jobs queued.
    init(folder: RunsFolder, working: Bool) {
        self.folder = folder
        guard working else { return }
        let book = book
        let worker = Thread {
            while let (id, request) = book.next() {
                book.update(id) { $0.state = .running }
                do {
                    let (place, message) = try Self.run(request, id: id, folder: folder, book: book)
                    book.update(id) { $0.state = .done; $0.output = place; $0.message = message }
                } catch {
                    book.update(id) { $0.state = .failed; $0.message = "\(error)" }
                }
            }
        }
        worker.name = "studio-sampling"
        worker.start()
    }

    deinit {
        book.lock.lock()
        book.closed = true
        book.lock.unlock()
        book.wake.signal()
    }

    /// Queues `request` and returns its job id; throws when the queue is full or the checkpoint is
    /// not a run's.
    public func submit(_ request: SampleRequest) throws -> Int {
        guard let url = folder.resolve(request.checkpoint), Self.runDirectory(of: url) != nil else {
            throw StudioError("path: \(request.checkpoint) is not a run directory or a checkpoint folder of one under the runs folder")
        }
        book.lock.lock()
        defer { book.lock.unlock() }
        guard book.activeCount < Self.capacity else { throw StudioError("the sampling queue is full (\(Self.capacity) jobs); try again when one ends") }
        let id = book.nextID
        book.nextID += 1
        book.jobs[id] = SampleJobStatus(id: id, state: .queued, format: request.format)
        book.pending.append((id, request))
        book.wake.signal()
        return id
    }

    /// Jobs queued or running.
    public var activeJobs: Int {
        book.lock.lock()
        defer { book.lock.unlock() }
        return book.activeCount
    }

    /// The job `id`, if there is one.
    public func status(_ id: Int) -> SampleJobStatus? {
        book.lock.lock()
        defer { book.lock.unlock() }
        return book.jobs[id]
    }

    /// Draws as `genstudio sample CHECKPOINT --out FILE` with the request's options does.
    private static func run(_ request: SampleRequest, id: Int, folder: RunsFolder, book: Book) throws -> (String, String) {
        guard let url = folder.resolve(request.checkpoint), let run = runDirectory(of: url) else {
            throw StudioError("path: \(request.checkpoint) is no longer under the runs folder")
        }
        let model = try GeneratorLoader.load(checkpoint: url, options: try request.options())
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let target = run.appendingPathComponent("studio-samples")
            .appendingPathComponent("\(formatter.string(from: Date()))-\(id).\(request.format)")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let output = try SampleOutput(url: target, model: model, wavFormat: nil, imageOnly: [], seed: request.seed)
        var job = SampleJob()
        job.count = request.count
        job.seed = request.seed
        job.classes = request.classes
        job.interpolationSteps = request.interpolate
        let result = try job.run(model, output: output) { done, total in
            book.update(id) { $0.done = done; $0.total = total }
        }
        return (folder.relativePath(of: target), "wrote \(result.count) \(result.noun)\(result.detail) from \(model.origin)")
    }

    /// The run directory `url` (a run directory or one of its checkpoint folders) belongs to.
    static func runDirectory(of url: URL) -> URL? {
        let candidates = [url, url.deletingLastPathComponent().deletingLastPathComponent()]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("recipe.toml").path) }
    }
}

import Foundation
import StudioCore
import StudioIO

/// What the training loop tells its observer (the CLI's progress display).
public enum TrainingEvent {
    /// A step finished: its number, epoch, metrics (named as the task names them), images per second
    /// over recent steps, and the estimated seconds left.
    case step(number: Int, target: Int, epoch: Int, metrics: [(String, Double)], imagesPerSecond: Double, secondsLeft: Double)
    case samples(URL, step: Int)
    case checkpoint(URL, step: Int)
}

/// Why the loop stopped.
public enum TrainingStop: Equatable {
    case finished, stepLimit, timeLimit, interrupted
}

/// The loop every family shares: batches in a seeded order, one task step each, metrics, sample
/// grids and checkpoints at their intervals and at the end, resumable from any checkpoint.
public final class TrainingSession {
    public let run: RunDirectory
    public let recipe: Recipe
    let task: TrainingTask
    let data: any LabelledExamples
    /// Audio or image files the data loader could not decode (listed in the run's `data.log`).
    public let skippedFiles: Int
    /// What the skipped files are: "audio" or "image".
    public let skippedKind: String
    /// The class folder names of image-folder data (label i is `classNames[i]`), empty for other data.
    public let classNames: [String]
    let sampler: EpochSampler
    private(set) var state: TrainingState
    private var order: (epoch: Int, order: [Int])?
    /// The step whose checkpoint is on disk, so that stopping there never rewrites it (rewriting
    /// the checkpoint `latest` names would leave a moment without it).
    private var checkpointedStep: Int?
    private let resumedFrom: TrainingState?
    /// The run's logs; nil on the ranks of a data-parallel run other than rank 0, which write nothing.
    private let metrics: MetricsLog?
    /// This session's last metrics row: its step, training values, and whether it holds held-out ones.
    private var lastRow: (step: Int, values: [Double], evaluated: Bool)?
    private let events: TensorBoardWriter?
    /// This process's part in a data-parallel run; nil for one process.
    public let parallel: DataParallel?
    /// Whether this process writes the run directory: always, but for ranks other than 0.
    public var isWriter: Bool { parallel?.isWriter ?? true }

    /// A session for `task` on `data`; `resume` is the state of the checkpoint the task was restored from.
    public init(run: RunDirectory, recipe: Recipe, task: TrainingTask, data: any LabelledExamples, resume: TrainingState?,
                skippedFiles: Int = 0, skippedKind: String = "audio", classNames: [String] = [],
                parallel: DataParallel? = nil) throws {
        self.run = run
        self.parallel = parallel
        if let parallel {
            task.share = parallel.share(synchronisingBatchNorm: recipe.train.syncBatchNorm)
            for optimizer in task.optimizers { optimizer.gradientReducer = parallel }
        }
        self.skippedFiles = skippedFiles
        self.skippedKind = skippedKind
        self.classNames = classNames
        self.recipe = recipe
        self.task = task
        self.data = data
        sampler = EpochSampler(count: data.count, batch: recipe.train.batch, seed: recipe.train.seed)
        if let resume {
            // Each batch moves the cursor by one batch and ends at most one epoch.
            guard resume.cursor <= data.count, resume.epoch <= resume.step * task.batchesPerStep + 1 else {
                throw DatasetError("\(run.url.path): the checkpoint's state.json has epoch \(resume.epoch) and cursor \(resume.cursor) after \(resume.step) steps, which \(data.count) examples in batches of \(recipe.train.batch) cannot give; it does not belong to this run's data")
            }
        }
        state = resume ?? TrainingState(step: 0, epoch: 0, cursor: 0, seed: recipe.train.seed,
                                        threads: ComputeThreads.count, elapsedSeconds: 0)
        state.ranks = parallel.map { $0.ranks }
        checkpointedStep = resume?.step
        resumedFrom = resume
        let stopEvaluation = resume.map {
            !Self.evaluationDue(step: $0.step, cursor: $0.cursor, train: recipe.train, examples: data.count)
        } ?? false
        guard parallel?.isWriter ?? true else {
            metrics = nil
            events = nil
            return
        }
        metrics = try MetricsLog(run: run, columns: task.metricNames + task.evaluationMetricNames, resumingAt: resume?.step,
                                 clearing: stopEvaluation ? task.evaluationMetricNames : [])
        let events = try TensorBoardWriter(directory: run.url)
        if let resume {
            try events.addSessionStart(step: resume.step + 1)
        } else {
            try events.addHyperparameters(try recipe.hyperparameters(),
                                          metrics: task.metricNames + task.evaluationMetricNames)
        }
        self.events = events
    }

    /// The steps completed so far.
    public var step: Int { state.step }

    /// The compute threads the checkpoint resumed from was written with (nil for a new run); every
    /// reduction is cut by shape alone, so another count continues the run exactly.
    public var resumedThreads: Int? { resumedFrom?.threads }

    /// Whether the run has reached its recipe's step count.
    public var isFinished: Bool { state.step >= recipe.train.steps }

    /// Trains until the recipe's step count, `maxSteps` (absolute), `maxMinutes` of this session, or
    /// `shouldStop()` turning true (checked between steps); always ends with a checkpoint.
    public func run(maxSteps: Int? = nil, maxMinutes: Double? = nil, shouldStop: () -> Bool = { false },
                    observe: (TrainingEvent) -> Void = { _ in }) throws -> TrainingStop {
        let target = min(recipe.train.steps, maxSteps ?? .max)
        let schedule = recipe.train.learningRateSchedule
        let start = Date()
        let priorElapsed = state.elapsedSeconds
        var recent: [(Date, Int)] = [(start, state.step)]
        var stop = TrainingStop.finished
        while state.step < target {
            if let reason = agreedStop(shouldStop(), maxMinutes.map { Date().timeIntervalSince(start) >= $0 * 60 } ?? false) {
                stop = reason
                break
            }
            var next = (indices: [Int](), epoch: state.epoch, cursor: state.cursor)
            var indices: [Int] = []
            for _ in 0..<task.batchesPerStep {
                next = sampler.nextBatch(epoch: next.epoch, cursor: next.cursor, cachedOrder: &order)
                indices += task.share.part(of: next.indices)
            }
            let batch = data.batch(indices, range: task.valueRange)
            let labels = data.labels.isEmpty ? [] : indices.map { data.labels[$0] }
            let rate = schedule.rate(atStep: state.step)
            for optimizer in task.optimizers { optimizer.learningRate = rate }
            let local = task.step(batch: batch, labels: labels, step: state.step)
            let values = parallel.map { $0.mean(local) } ?? local
            state.step += 1
            state.epoch = next.epoch
            state.cursor = next.cursor

            let now = Date()
            recent.append((now, state.step))
            if recent.count > 50 { recent.removeFirst(recent.count - 50) }
            let span = now.timeIntervalSince(recent[0].0)
            let stepsPerSecond = span > 0 ? Double(state.step - recent[0].1) / span : 0
            let evaluated: [Double]? = !isWriter || task.evaluationMetricNames.isEmpty || !Self.evaluationDue(step: state.step, cursor: state.cursor, train: recipe.train, examples: data.count)
                ? nil : task.evaluate()
            let row = Array(zip(task.metricNames, values)) + zip(task.evaluationMetricNames, evaluated ?? [])
            let heldOut: [Double?] = evaluated ?? unmeasured
            try metrics?.append(step: state.step, values + heldOut)
            lastRow = (state.step, values, evaluated != nil)
            for (name, value) in row {
                try events?.addScalar(name, Float(value), step: state.step)
            }
            try events?.addScalar("lr", rate, step: state.step)
            observe(.step(number: state.step, target: target, epoch: state.epoch,
                          metrics: row,
                          imagesPerSecond: stepsPerSecond * Double(recipe.train.batch * task.batchesPerStep),
                          secondsLeft: stepsPerSecond > 0 ? Double(target - state.step) / stepsPerSecond : .infinity))
            if isWriter, state.step % recipe.sample.interval == 0 || state.step == target, let written = try writeSamples() {
                observe(.samples(written, step: state.step))
            }
            if state.step % recipe.checkpoint.interval == 0 || state.step == target {
                state.elapsedSeconds = priorElapsed + Date().timeIntervalSince(start)
                observe(.checkpoint(try writeCheckpoint(), step: state.step))
            }
        }
        if state.step >= recipe.train.steps { stop = .finished } else if stop == .finished { stop = .stepLimit }
        try evaluateLastRow()
        if checkpointedStep != state.step {
            state.elapsedSeconds = priorElapsed + Date().timeIntervalSince(start)
            observe(.checkpoint(try writeCheckpoint(), step: state.step))
        }
        try events?.flush()
        return stop
    }

    /// Why every rank stops before the next step, if any does: one rank's Ctrl-C or time limit
    /// stops them all at the same step, so that none waits on the others' gradients.
    private func agreedStop(_ interrupted: Bool, _ outOfTime: Bool) -> TrainingStop? {
        var flags = [interrupted ? 1.0 : 0, outOfTime ? 1.0 : 0]
        parallel?.communicator.maximum(&flags)
        return flags[0] > 0 ? .interrupted : flags[1] > 0 ? .timeLimit : nil
    }

    /// Whether held-out metrics belong in the row of `step`: at each epoch end (or every
    /// train.evaluation_interval steps, for sets whose epochs last a few steps) and at the recipe's
    /// last step. A session stopped elsewhere fills them in on its last row, and the session that
    /// resumes from there clears them again, so a resumed run logs the rows of an unbroken one.
    private static func evaluationDue(step: Int, cursor: Int, train: TrainSettings, examples: Int) -> Bool {
        let due = train.evaluationInterval.map { step % $0 == 0 } ?? (cursor + train.batch > examples)
        return due || step == train.steps
    }

    /// One nil per held-out metric: a row where they were not measured.
    private var unmeasured: [Double?] { [Double?](repeating: nil, count: task.evaluationMetricNames.count) }

    /// Measures the held-out metrics at the session's last step when its row lacks them, so a run
    /// stopped by `--max-steps`, `--max-minutes` or Ctrl-C still reports where it stands.
    private func evaluateLastRow() throws {
        guard isWriter, let lastRow, !lastRow.evaluated, !task.evaluationMetricNames.isEmpty else { return }
        let evaluated = task.evaluate()
        try metrics?.replaceLast(step: lastRow.step, lastRow.values + evaluated)
        for (name, value) in zip(task.evaluationMetricNames, evaluated) {
            try events?.addScalar(name, Float(value), step: lastRow.step)
        }
        self.lastRow = nil
    }

    /// Writes `samples/step-NNNNNN.png` from the task's fixed latents (and `samples/<name>-step-NNNNNN.png`
    /// for any further grid), and each grid to TensorBoard under its name; returns the first file, or
    /// nil for a task that draws no grids (a classifier). Audio runs write clips instead (`writeClips`).
    func writeSamples() throws -> URL? {
        var first: URL?
        for (index, (name, images)) in task.sampleGrids().enumerated() {
            let file = (index == 0 ? "" : name + "-") + Checkpoint.name(step: state.step)
            if let audio = recipe.audio {
                let url = try writeClips(images, audio: audio, name: name, file: file)
                first = first ?? url
                continue
            }
            let grid = ImageGrid.make(images, range: task.valueRange)
            let url = run.samples.appendingPathComponent(file + ".png")
            let png = try grid.encoded()
            try AtomicFile.write(png, to: url)
            try events?.addImage(name, png: png, width: grid.width, height: grid.height, channels: grid.channels, step: state.step)
            first = first ?? url
        }
        return first
    }

    /// Writes `samples/<file>.wav` (the clips one after another with short silences), its picture
    /// `samples/<file>.png`, and the audio and picture to TensorBoard; returns the WAV file.
    func writeClips(_ examples: Tensor, audio: AudioSettings, name: String, file: String) throws -> URL {
        let clips = try ClipWriter.clips(from: examples, range: task.valueRange, audio: audio, seed: recipe.train.seed)
        let joined = AudioFile.concatenating(clips, sampleRate: audio.sampleRate)
        let wav = try joined.encodedWAV()
        let url = run.samples.appendingPathComponent(file + ".wav")
        try AtomicFile.write(wav, to: url)
        let picture = try audio.preview(of: clips)
        let png = try picture.encoded()
        try AtomicFile.write(png, to: run.samples.appendingPathComponent(file + ".png"))
        try events?.addAudio(name, wav: wav, sampleRate: Float(audio.sampleRate), channels: 1,
                             frames: joined.samples.count, step: state.step)
        try events?.addImage(name, png: png, width: picture.width, height: picture.height,
                            channels: picture.channels, step: state.step)
        return url
    }

    /// Writes the checkpoint of the current step (rank 0 alone in a data-parallel run; the others
    /// only note the step) and returns its folder.
    func writeCheckpoint() throws -> URL {
        guard isWriter else {
            checkpointedStep = state.step
            return run.checkpoints.appendingPathComponent(Checkpoint.name(step: state.step))
        }
        var model = try task.modelState(step: state.step)
        if let audio = recipe.audio { model.metadata[ModelCheckpoint.audioKey] = try audio.jsonString() }
        let url = try Checkpoint.write(into: run.checkpoints, model: model,
                                       optimizer: task.optimizerState(), state: state, keep: recipe.checkpoint.keep)
        checkpointedStep = state.step
        return url
    }
}

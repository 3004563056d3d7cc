import Foundation
import StudioIO

extension TrainingJob {
    /// Refuses a data-parallel run the recipe cannot give: a global batch that does not split into
    /// equal shares, or a family whose steps draw batches of their own (the semi-supervised ones).
    static func checkParallel(_ recipe: Recipe, _ parallel: DataParallel?, recipePath: String) throws {
        if recipe.train.syncBatchNorm && (recipe.train.r1Gamma != nil || recipe.train.loss == .wganGP) {
            throw RecipeError("\(recipePath): train.sync_batchnorm goes with first-order gradients only; train.r1_gamma and the WGAN-GP penalty differentiate through the discriminator twice")
        }
        guard let ranks = parallel?.ranks, ranks > 1 else { return }
        guard recipe.train.batch % ranks == 0 else {
            throw RecipeError("\(recipePath): train.batch = \(recipe.train.batch) does not split into equal shares over \(ranks) ranks; choose a multiple of \(ranks) (train.batch is the global batch)")
        }
        if recipe.model.semiSupervisedClassCount != nil {
            throw RecipeError("\(recipePath): semi-supervised models (data.labelled_per_class) train in one process only; run without mpirun")
        }
    }

    /// Refuses resuming with another number of ranks when the model keeps per-rank state: batch-norm
    /// running statistics, which each rank gathers from its own share of the batch.
    static func checkRanks(_ state: TrainingState, model: SafeTensors, recipe: Recipe, parallel: DataParallel?,
                           checkpoint: URL) throws {
        let before = state.ranks ?? 1, now = parallel?.ranks ?? 1
        guard before != now, !recipe.train.syncBatchNorm,
              model.entries.contains(where: { $0.name.hasSuffix("running_mean") }) else { return }
        throw FileFormatError(path: checkpoint.path, "was written by a run of \(before) rank\(before == 1 ? "" : "s") and this session has \(now); its batch-norm statistics are per rank (train.sync_batchnorm = false), so it resumes exactly only with \(before == 1 ? "one process (no mpirun)" : "mpirun -np \(before)")")
    }
}

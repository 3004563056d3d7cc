#ifndef GENSTUDIO_CKERNELS_H
#define GENSTUDIO_CKERNELS_H

/// Elementwise loops whose cost is arithmetic rather than memory: Swift code is built for baseline
/// x86-64 (four floats per instruction, no fast divide), while these are built once per instruction
/// set and the widest one the processor has runs. Every variant does the same IEEE operations per
/// scalar in the same order, so results do not depend on which one runs.

/// y[i] = SiLU(x[i]·scale + shift), for i < count.
void studio_affine_silu(const float *x, float *y, long count, float scale, float shift);

/// y[i] = g[i]·SiLU'(x[i]·scale + shift), for i < count: the SiLU pullback at that point.
void studio_affine_silu_gradient(const float *g, const float *x, float *y, long count, float scale, float shift);

#endif

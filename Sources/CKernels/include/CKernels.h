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

/// y[i] = log(1 + e^x[i]), computed without overflow, for i < count.
void studio_softplus(const float *x, float *y, long count);

/// y[i] = g[i]·sigmoid(x[i]), for i < count: the softplus pullback.
void studio_softplus_gradient(const float *g, const float *x, float *y, long count);

/// One Adam step of `count` parameters `p` with gradients `g`, first moments `m` and second moments
/// `v`, all updated in place: weight decay (`shrink` when `decoupled_decay` is not zero, L2 when
/// `l2_decay` is not zero), the moving averages (`keep1` = 1 - beta1, `keep2` = 1 - beta2) and
/// p += step·m / (sqrt(v) / correction2_root + eps), with step = -lr / (1 - beta1^t).
void studio_adam(float *p, const float *g, float *m, float *v, long count, float beta1, float beta2, float keep1,
                 float keep2, float eps, float step, float correction2_root, float l2_decay, float decoupled_decay,
                 float shrink);

#endif

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

/// Whether `studio_conv3x3` runs its AVX-512 loops here (else it runs plain scalar ones, and im2col
/// with a GEMM is faster).
int studio_conv3x3_available(void);

/// Scratch floats `studio_conv3x3` needs for one image of `channels` x `height` x `width` and `outputs`
/// output channels.
long studio_conv3x3_scratch_count(long channels, long height, long width, long outputs);

/// Reorders a weight `[outputs, channels, 3, 3]` for `studio_conv3x3`: as `[channels·9, outputs]` for the
/// convolution itself, or, when `transposed` is not zero, flipped as `[outputs·9, channels]` for its input
/// gradient (a convolution from `outputs` channels to `channels`).
void studio_conv3x3_pack(const float *weight, long outputs, long channels, int transposed, float *packed);

/// One image `[channels, height, width]` convolved with a packed 3x3 kernel, stride 1, padding 1
/// (+ `bias[outputs]` when not null) into `result[outputs, height, width]`. Each output is a chain of
/// fused multiply-adds over channels, then taps, in a fixed order.
void studio_conv3x3(const float *image, long channels, long height, long width, const float *packed, long outputs,
                    const float *bias, float *result, float *scratch);

#endif

#ifndef GENSTUDIO_CKERNELS_H
#define GENSTUDIO_CKERNELS_H

/// Elementwise loops whose cost is arithmetic rather than memory: Swift code is built for baseline
/// x86-64 (four floats per instruction, no fast divide), while these are built once per instruction
/// set and the widest one the processor has runs. Every variant does the same IEEE operations per
/// scalar in the same order, so results do not depend on which one runs.

/// y[i] = SiLU(x[i]·scale + shift), for i < count.
void studio_affine_silu(const float *x, float *y, long count, float scale, float shift);

/// y[i] = x[i]·scale + shift, for i < count: one channel of a normalisation's affine map.
void studio_channel_affine(const float *x, float *y, long count, float scale, float shift);

/// y[i] = a·g[i] + k1·x[i] + k0, for i < count: one channel of a normalisation's input gradient.
void studio_channel_input_gradient(const float *g, const float *x, float *y, long count, float a, float k1, float k0);

/// Each of `planes` planes `[height, width]` of x repeated `scale_x` times along its rows and each row
/// `scale_y` times, into y `[planes, height·scale_y, width·scale_x]`.
void studio_upsample_nearest(const float *x, float *y, long planes, long height, long width, long scale_y,
                             long scale_x);

/// The adjoint of `studio_upsample_nearest`: each `scale_y` x `scale_x` block of x
/// `[planes, height·scale_y, width·scale_x]` summed from zero row by row into y `[planes, height, width]`.
void studio_block_sums(const float *x, float *y, long planes, long height, long width, long scale_y, long scale_x);

/// Each of `rows` rows of `width` values of x, e^(x - the row's maximum) normalised to sum 1, into y; the
/// maximum counts as 0 where it is not finite. e^x is `studio_exp` (zero below -87.3), and the maxima and
/// sums run in sixteen lanes combined in a fixed tree.
void studio_softmax_rows(const float *x, float *y, long rows, long width);

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

/// `sums[i] = source[i] + source[stride + i] + ... + source[(rows - 1)·stride + i]` for `i < count`, each sum
/// taken from zero in row order (the order a scalar loop adds in).
void studio_sum_strided(const float *source, long rows, long stride, long count, float *sums);

/// `*first += Σ (a[i] - center)` and `*second += Σ (a[i] - center)²` over `i < count`, in Double: the
/// shifted moments of a normalisation. Sixteen partial sums (lane `i % 16`) are added in a fixed tree.
void studio_shifted_moments(const float *a, long count, double center, double *first, double *second);

/// `*first += Σ g[i]` and `*second += Σ g[i]·(x[i] - mean)` over `i < count`, in Double, with the same
/// partial sums: what a normalisation's pullback needs.
void studio_gradient_moments(const float *g, const float *x, long count, double mean, double *first, double *second);

/// y[i] = g[i]·SiLU'(x[i]·scale + shift), for i < count (the SiLU pullback at that point), and
/// `studio_gradient_moments(y, x, count, mean, first, second)` in the same pass over memory, with its bits:
/// group norm's pullback through its SiLU and the sums it needs.
void studio_affine_silu_gradient_moments(const float *g, const float *x, float *y, long count, float scale,
                                         float shift, double mean, double *first, double *second);

/// `target[i] += addend[i]` for `i < count`; the two must not overlap.
void studio_add_into(float *target, const float *addend, long count);

/// A hint to the processor that the calling thread is spinning on a memory location.
void studio_pause(void);

/// Whether the processor has AVX-512, which the direct convolutions' vector loops need (without it they
/// run plain scalar loops, and im2col with a GEMM is faster).
int studio_avx512_available(void);

/// The OpenBLAS kernel family this processor's instruction sets can run, from its feature bits alone:
/// "SkylakeX" with AVX-512 (F, CD, BW, DQ, VL), "Haswell" with AVX2 and FMA, otherwise null. OpenBLAS
/// names a family by processor model, and falls back to SSE3 kernels on models it predates.
const char *studio_blas_core_for_features(void);

/// Reorders a weight `[outputs, channels, kh, kw]` for the direct convolutions: as `[channels·kh·kw, outputs]`
/// for the convolution itself, or, when `transposed` is not zero, flipped as `[outputs·kh·kw, channels]` for
/// the input gradient of a stride-1 convolution (a convolution from `outputs` channels to `channels`).
void studio_conv_pack(const float *weight, long outputs, long channels, long kernel_height, long kernel_width,
                      int transposed, float *packed);

/// The copy of an image `[channels, height, width]` with zero borders of the given widths on each side:
/// `[channels, top + H + bottom, left + W + right]`.
void studio_pad_planes_bordered(const float *image, long channels, long height, long width, long top, long bottom,
                                long left, long right, float *planes);

/// The zero-bordered copy of an image `[channels, height, width]`: `[channels, H + 2·pad_y, W + 2·pad_x]`.
void studio_pad_planes(const float *image, long channels, long height, long width, long pad_y, long pad_x,
                       float *planes);

/// `destination[c][r] = source[r][c]` for a `[rows, columns]` source; 16x16 blocks in registers on AVX-512.
void studio_transpose(const float *source, long rows, long columns, float *destination);

/// Scratch floats `studio_conv3x3` needs for one image of `channels` x `height` x `width` and `outputs`
/// output channels.
long studio_conv3x3_scratch_count(long channels, long height, long width, long outputs);

/// One image `[channels, height, width]` convolved with a packed 3x3 kernel, stride 1, padding 1
/// (+ `bias[outputs]` when not null) into `result[outputs, height, width]`. Each output is a chain of
/// fused multiply-adds over channels, then taps, in a fixed order.
void studio_conv3x3(const float *image, long channels, long height, long width, const float *packed, long outputs,
                    const float *bias, float *result, float *scratch);

/// Scratch floats `studio_conv_channels` needs for one image.
long studio_conv_channels_scratch_count(long channels, long height, long width, long pad_y, long pad_x, long outputs,
                                        long output_height, long output_width);

/// One image `[channels, height, width]` convolved with a packed `kh` x `kw` kernel at the given stride and
/// padding (+ `bias[outputs]` when not null) into `result[outputs, output_height, output_width]`, vectorised
/// over output channels (AVX-512 when `outputs` is a multiple of 16, else plain loops). Each output is a
/// chain of fused multiply-adds over channels, then ky, then kx.
void studio_conv_channels(const float *image, long channels, long height, long width, const float *packed,
                          long outputs, long kernel_height, long kernel_width, long stride_y, long stride_x, long pad_y,
                          long pad_x, long output_height, long output_width, const float *bias, float *result,
                          float *scratch);

/// Reorders a transposed convolution's weight `[channels, outputs, kh, kw]` for `studio_conv_transposed`:
/// one sub-kernel `[channels·taps, outputs]` per phase of the output, phases row by row.
void studio_conv_pack_phases(const float *weight, long channels, long outputs, long kernel_height, long kernel_width,
                             long stride_y, long stride_x, long pad_y, long pad_x, float *packed);

/// Scratch floats `studio_conv_transposed` needs for one image.
long studio_conv_transposed_scratch_count(long channels, long height, long width, long kernel_height,
                                          long kernel_width, long stride_y, long stride_x, long pad_y, long pad_x,
                                          long outputs, long output_height, long output_width);

/// One image `[channels, height, width]` through a transposed convolution with a weight packed by
/// `studio_conv_pack_phases` (+ `bias[outputs]` when not null) into `result[outputs, output_height,
/// output_width]`: output (y, x) sums input (i, j) times tap (y + pad_y - stride_y·i, x + pad_x - stride_x·j).
/// Each output is a chain of fused multiply-adds over channels, then taps from the last. Returns 0 without
/// touching `result` unless the processor has AVX-512 and `outputs` is a multiple of 16.
int studio_conv_transposed(const float *image, long channels, long height, long width, const float *packed,
                           long outputs, long kernel_height, long kernel_width, long stride_y, long stride_x,
                           long pad_y, long pad_x, long output_height, long output_width, const float *bias,
                           float *result, float *scratch);

/// Lays out one image `[channels, height, width]` and its output gradient `[outputs, output_plane]` for
/// `studio_conv_weight_gradient`: the image zero-bordered as `[channels, H + 2·pad_y, W + 2·pad_x]`, the
/// gradient pixel-major as `[output_plane, outputs]`.
void studio_conv_weight_gradient_prepare(const float *image, const float *gradient, long channels, long height,
                                         long width, long pad_y, long pad_x, long outputs, long output_plane,
                                         float *planes, float *gradient_by_pixel);

/// Whether `studio_conv_weight_gradient` reads this convolution's images in place, `[batch][channels][H][W]`,
/// instead of the zero-bordered planes of `studio_conv_weight_gradient_prepare` (whose gradient layout it
/// still takes): 3x3 kernels at stride 1 with padding 1 and an output the size of the input.
int studio_conv_weight_gradient_in_place(long kernel_height, long kernel_width, long stride_y, long stride_x,
                                         long pad_y, long pad_x, long height, long width, long output_height,
                                         long output_width);

/// A count of kernel rows that every tile `studio_conv_weight_gradient` runs for `outputs` and this kernel
/// width divides: runs of rows that start at multiples of it need no one-row tail tiles.
long studio_conv_weight_gradient_row_multiple(long outputs, long kernel_width);

/// Kernel rows `first_row ..< end_row` (a row is a channel and a ky) of a convolution's weight gradient
/// over a batch laid out by `studio_conv_weight_gradient_prepare` (or, see
/// `studio_conv_weight_gradient_in_place`, the images themselves and the prepared gradients), into
/// `packed[(row·kw + kx)·outputs + o]`.
/// Each sum is a chain of fused multiply-adds over images, output rows, then columns. Returns 0 without
/// touching `packed` unless the processor has AVX-512, `outputs` is a multiple of 16 and kw is 3, 4 or 5.
int studio_conv_weight_gradient(const float *planes, const float *gradient_by_pixel, long batch, long channels,
                                long height, long width, long pad_y, long pad_x, long outputs,
                                long kernel_height, long kernel_width, long stride_y, long stride_x,
                                long output_height, long output_width, long first_row, long end_row,
                                float *packed);

/// Scratch floats `studio_winograd3x3` needs for a call.
long studio_winograd3x3_scratch_count(long channels, long height, long width, long outputs);

/// Transforms a weight `[outputs, channels, 3, 3]` into Winograd F(2x2, 3x3)'s 16 matrices `[16][in][out]`
/// for `studio_winograd3x3`: of the convolution itself, or, when `transposed` is not zero, of the input
/// gradient of a stride-1, padding-1 convolution (from `outputs` channels to `channels`).
void studio_winograd3x3_pack(const float *weight, long outputs, long channels, int transposed, float *packed);

/// `count` (1 to 16) images `[count, channels, height, width]` convolved with a packed 3x3 kernel, stride 1,
/// padding 1 (+ `bias[outputs]` when not null) into `result[count, outputs, height, width]` by Winograd
/// F(2x2, 3x3). Returns 0, and does nothing, on processors without AVX-512 or for another count.
int studio_winograd3x3(const float *images, long count, long channels, long height, long width, const float *packed,
                       long outputs, const float *bias, float *result, float *scratch);

#endif

#include "CKernels.h"

// A convolution of one image with any kernel, stride and padding, vectorised over output channels.
//
// Meant for small images with many channels (a DCGAN's 7x7 and 14x14 layers), where im2col makes a
// matrix of kh·kw copies and the flat kernel of conv3x3.c would compute mostly border columns. The image
// is copied once into zero-bordered planes; a register tile holds a few output pixels by up to 64
// output channels, and every (channel, ky, kx) adds one broadcast input scalar times a vector of
// weights to it. Each output is a chain of fused multiply-adds over channels, then ky, then kx: for a
// 3x3 kernel the same chain as studio_conv3x3's, so the two kernels give the same bits.

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_CONV_CHANNELS 1
#include <immintrin.h>
#endif

/// Output channels per vector. The largest tiles hold 20 accumulators (5, 10 or 20 output pixels by four, two
/// or one vector of output channels), which with the four weight vectors and a broadcast stay within
/// AVX-512's 32 registers.
enum { studio_channel_lanes = 16 };

static long studio_padded_height(long height, long pad_y) { return height + 2 * pad_y; }
static long studio_padded_width(long width, long pad_x) { return width + 2 * pad_x; }

long studio_conv_channels_scratch_count(long channels, long height, long width, long pad_y, long pad_x, long outputs,
                                        long output_height, long output_width) {
    return channels * studio_padded_height(height, pad_y) * studio_padded_width(width, pad_x)
           + outputs * output_height * output_width;
}

void studio_conv_pack(const float *weight, long outputs, long channels, long kernel_height, long kernel_width,
                      int transposed, float *packed) {
    const long taps = kernel_height * kernel_width;
    if (!transposed) {
        studio_transpose(weight, outputs, channels * taps, packed);
        return;
    }
    for (long o = 0; o < outputs; o++) {
        for (long t = 0; t < taps; t++) {
            for (long c = 0; c < channels; c++) {
                packed[(o * taps + t) * channels + c] = weight[(o * channels + c) * taps + taps - 1 - t];
            }
        }
    }
}

#ifdef STUDIO_CONV_CHANNELS

#define STUDIO_AVX512_CHANNELS __attribute__((target("avx512f,fma")))

/// Where a tile works: the padded planes of channels `first_channel ..< end_channel`, the packed weights,
/// and `partial[pixel][outputs]`, which carries each output's running sum from one block of channels to
/// the next (so the weights of one block stay in cache across every tile of the image).
struct studio_channel_work {
    const float *planes;
    long plane_size, padded_width, kernel_height, kernel_width, stride_y, stride_x, output_width, output_plane;
    long height, pad_y;
    const float *packed;
    long outputs, first_channel, end_channel;
    const float *bias;
    float *partial;
};

/// The kernel rows `ky_begin ..< ky_end` that read inside the image for some output pixel of
/// `pixel ..< pixel + count`: the rest read only the zero border, and skipping them leaves every finite sum
/// as it was.
static inline void studio_tile_rows(const struct studio_channel_work *work, long pixel, long count, long *ky_begin,
                                    long *ky_end) {
    const long first_row = pixel / work->output_width, last_row = (pixel + count - 1) / work->output_width;
    long begin = work->pad_y - last_row * work->stride_y, end = work->height + work->pad_y - first_row * work->stride_y;
    *ky_begin = begin > 0 ? begin : 0;
    *ky_end = end < work->kernel_height ? end : work->kernel_height;
}

/// Defines `name(work, pixel, first)`: pixels `pixel ..< pixel + PIXELS` by output channels
/// `first ..< first + 16·VECTORS` over the work's block of channels, with the tile's sizes as constants so
/// that its accumulators live in registers.
#define STUDIO_CHANNEL_TILE(name, PIXELS, VECTORS)                                                              \
    STUDIO_AVX512_CHANNELS static void name(const struct studio_channel_work *work, long pixel, long first) {  \
        __m512 acc[PIXELS][VECTORS];                                                                         \
        const float *rows[PIXELS];                                                                           \
        _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXELS; p++) {                                  \
            const float *partial = work->partial + (pixel + p) * work->outputs + first;                        \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++) {                             \
                acc[p][v] = work->first_channel > 0 ? _mm512_loadu_ps(partial + v * studio_channel_lanes)      \
                            : work->bias ? _mm512_loadu_ps(work->bias + first + v * studio_channel_lanes)      \
                                         : _mm512_setzero_ps();                                                \
            }                                                                                                  \
            long oy = (pixel + p) / work->output_width, ox = (pixel + p) % work->output_width;                 \
            rows[p] = work->planes + oy * work->stride_y * work->padded_width + ox * work->stride_x;            \
        }                                                                                                      \
        long ky_begin, ky_end;                                                                                 \
        studio_tile_rows(work, pixel, PIXELS, &ky_begin, &ky_end);                                            \
        const long taps = work->kernel_height * work->kernel_width;                                           \
        for (long c = work->first_channel; c < work->end_channel; c++) {                                      \
            for (long ky = ky_begin; ky < ky_end; ky++) {                                                     \
                const long row = c * work->plane_size + ky * work->padded_width;                              \
                const float *weights = work->packed + (c * taps + ky * work->kernel_width) * work->outputs + first; \
                for (long kx = row; kx < row + work->kernel_width; kx++) {                                     \
                    __m512 w[VECTORS];                                                                         \
                    _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                       \
                        w[v] = _mm512_loadu_ps(weights + v * studio_channel_lanes);                            \
                    weights += work->outputs;                                                                  \
                    _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXELS; p++) {                      \
                        __m512 x = _mm512_set1_ps(rows[p][kx]);                                                \
                        _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                   \
                            acc[p][v] = _mm512_fmadd_ps(x, w[v], acc[p][v]);                                   \
                    }                                                                                          \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXELS; p++) {                                  \
            float *partial = work->partial + (pixel + p) * work->outputs + first;                              \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                               \
                _mm512_storeu_ps(partial + v * studio_channel_lanes, acc[p][v]);                               \
        }                                                                                                      \
    }

STUDIO_CHANNEL_TILE(studio_tile_5x4, 5, 4)
STUDIO_CHANNEL_TILE(studio_tile_4x4, 4, 4)
STUDIO_CHANNEL_TILE(studio_tile_2x4, 2, 4)
STUDIO_CHANNEL_TILE(studio_tile_1x4, 1, 4)
STUDIO_CHANNEL_TILE(studio_tile_10x2, 10, 2)
STUDIO_CHANNEL_TILE(studio_tile_5x2, 5, 2)
STUDIO_CHANNEL_TILE(studio_tile_2x2, 2, 2)
STUDIO_CHANNEL_TILE(studio_tile_1x2, 1, 2)
STUDIO_CHANNEL_TILE(studio_tile_20x1, 20, 1)
STUDIO_CHANNEL_TILE(studio_tile_10x1, 10, 1)
STUDIO_CHANNEL_TILE(studio_tile_5x1, 5, 1)
STUDIO_CHANNEL_TILE(studio_tile_2x1, 2, 1)
STUDIO_CHANNEL_TILE(studio_tile_1x1, 1, 1)

typedef void (*studio_channel_tile)(const struct studio_channel_work *, long, long);

/// Tiles by pixel count, largest first, for one, two and four vectors of outputs. The smaller ones take
/// the image's last pixels: a tile of one pixel waits on its few accumulators' latency, so a 7x7 image's
/// last four pixels ran at about half speed as single-pixel tiles.
static const struct { long pixels; studio_channel_tile tile; } studio_tiles[3][5] = {
    {{20, studio_tile_20x1}, {10, studio_tile_10x1}, {5, studio_tile_5x1}, {2, studio_tile_2x1}, {1, studio_tile_1x1}},
    {{10, studio_tile_10x2}, {5, studio_tile_5x2}, {2, studio_tile_2x2}, {1, studio_tile_1x2}, {1, studio_tile_1x2}},
    {{5, studio_tile_5x4}, {4, studio_tile_4x4}, {2, studio_tile_2x4}, {1, studio_tile_1x4}, {1, studio_tile_1x4}},
};

/// Every tile of the image for output channels `first ..< first + 16·vectors`. A pixel's sum is the same
/// chain in a tile of any size, so the split changes no bits.
STUDIO_AVX512_CHANNELS static void studio_conv_channels_tiles(const struct studio_channel_work *work, long first,
                                                              int vectors) {
    const int kind = vectors == 4 ? 2 : vectors == 2 ? 1 : 0;
    long pixel = 0;
    for (int size = 0; size < 5; size++) {
        const long count = studio_tiles[kind][size].pixels;
        for (; pixel + count <= work->output_plane; pixel += count) studio_tiles[kind][size].tile(work, pixel, first);
    }
}

/// Sums the work's whole image into `partial[pixel][outputs]`, one block of channels after another.
STUDIO_AVX512_CHANNELS static void studio_conv_channels_sum(struct studio_channel_work work, long channels) {
    // Channels per block: their weights for 64 outputs fill about 16 KiB, so that they stay in the L1 cache
    // (32 or 48 KiB) across every tile of the image. With 128 KiB blocks, read from L2 for each tile, the
    // DCGAN's 5x5 layers ran 10-20% slower.
    const long taps = work.kernel_height * work.kernel_width;
    long block = taps > 0 ? 16384 / (long)(taps * 64 * sizeof(float)) : channels;
    if (block < 1) block = 1;
    work.first_channel = 0;
    do {
        work.end_channel = work.first_channel + block < channels ? work.first_channel + block : channels;
        long first = 0;
        for (; first + 64 <= work.outputs; first += 64) studio_conv_channels_tiles(&work, first, 4);
        for (; first + 32 <= work.outputs; first += 32) studio_conv_channels_tiles(&work, first, 2);
        for (; first + 16 <= work.outputs; first += 16) studio_conv_channels_tiles(&work, first, 1);
        work.first_channel += block;
    } while (work.first_channel < channels);
}

/// Moves `partial[pixel][outputs]`, for pixels on a `rows` x `columns` grid, to
/// `result[o·result_plane + row·row_step + column·column_step]`.
static void studio_scatter_partial(const float *restrict partial, long outputs, long rows, long columns,
                                   float *restrict result, long result_plane, long row_step, long column_step) {
    for (long o = 0; o < outputs; o++) {
        for (long row = 0; row < rows; row++) {
            for (long column = 0; column < columns; column++) {
                result[o * result_plane + row * row_step + column * column_step] =
                    partial[(row * columns + column) * outputs + o];
            }
        }
    }
}

#endif

void studio_conv_channels(const float *image, long channels, long height, long width, const float *packed,
                          long outputs, long kernel_height, long kernel_width, long stride_y, long stride_x, long pad_y,
                          long pad_x, long output_height, long output_width, const float *bias, float *result,
                          float *scratch) {
    const long padded_height = studio_padded_height(height, pad_y), padded_width = studio_padded_width(width, pad_x);
    const long plane_size = padded_height * padded_width, output_plane = output_height * output_width;
    studio_pad_planes(image, channels, height, width, pad_y, pad_x, scratch);
#ifdef STUDIO_CONV_CHANNELS
    if (outputs % studio_channel_lanes == 0 && studio_avx512_available()) {
        struct studio_channel_work work = {
            .planes = scratch, .plane_size = plane_size, .padded_width = padded_width,
            .kernel_height = kernel_height, .kernel_width = kernel_width, .stride_y = stride_y, .stride_x = stride_x,
            .output_width = output_width, .output_plane = output_plane, .height = height, .pad_y = pad_y,
            .packed = packed, .outputs = outputs,
            .bias = bias, .partial = scratch + channels * plane_size,
        };
        studio_conv_channels_sum(work, channels);
        studio_transpose(work.partial, output_plane, outputs, result);
        return;
    }
#endif
    // Plain loops with the same chain of fused multiply-adds, for other processors and channel counts.
    for (long o = 0; o < outputs; o++) {
        for (long pixel = 0; pixel < output_plane; pixel++) {
            long start = pixel / output_width * stride_y * padded_width + pixel % output_width * stride_x;
            float total = bias ? bias[o] : 0.0f;
            const float *weights = packed + o;
            for (long c = 0; c < channels; c++) {
                const float *plane = scratch + c * plane_size + start;
                for (long ky = 0; ky < kernel_height; ky++) {
                    for (long kx = 0; kx < kernel_width; kx++) {
                        total = __builtin_fmaf(plane[ky * padded_width + kx], *weights, total);
                        weights += outputs;
                    }
                }
            }
            result[o * output_plane + pixel] = total;
        }
    }
}

// A transposed convolution with stride s, as s_y·s_x stride-1 convolutions of the input, one per phase of
// the output (the pixels whose coordinates are congruent mod the stride): output pixel y gets tap ky from
// input row (y + pad - ky) / s when that divides, so a phase reads every s-th tap of the kernel. Each phase
// runs the tiles above on its sub-kernel, without the im2col-sized matrix that a GEMM followed by col2im
// writes and scatters, and without the zero taps of a convolution of the zero-stuffed input.

/// One phase along one axis: its sub-kernel's taps (every `stride`-th, from `last_tap` down), the
/// input offset of its first tap (`-front`), and how many output pixels it covers.
struct studio_axis_phase {
    long taps, last_tap, front, count;
};

static struct studio_axis_phase studio_phase(long phase, long kernel, long stride, long pad, long output_size) {
    struct studio_axis_phase result = {0, 0, 0, 0};
    const long residue = (phase + pad) % stride;
    if (residue < kernel) {
        result.taps = (kernel - 1 - residue) / stride + 1;
        result.last_tap = residue + (result.taps - 1) * stride;
        result.front = (result.last_tap - phase - pad) / stride;
    }
    result.count = phase < output_size ? (output_size - phase + stride - 1) / stride : 0;
    return result;
}

/// The zero border before and after the input along one axis that every phase's reads stay within.
static void studio_phase_borders(long size, long kernel, long stride, long pad, long output_size, long *before,
                                 long *after) {
    *before = 0;
    *after = 0;
    for (long phase = 0; phase < stride; phase++) {
        struct studio_axis_phase p = studio_phase(phase, kernel, stride, pad, output_size);
        if (p.taps == 0 || p.count == 0) continue;
        if (p.front > *before) *before = p.front;
        const long beyond = (p.count - 1) + (p.taps - 1) - p.front - (size - 1);
        if (beyond > *after) *after = beyond;
    }
}

void studio_conv_pack_phases(const float *weight, long channels, long outputs, long kernel_height, long kernel_width,
                             long stride_y, long stride_x, long pad_y, long pad_x, float *packed) {
    for (long phase_y = 0; phase_y < stride_y; phase_y++) {
        const struct studio_axis_phase py = studio_phase(phase_y, kernel_height, stride_y, pad_y, stride_y);
        for (long phase_x = 0; phase_x < stride_x; phase_x++) {
            const struct studio_axis_phase px = studio_phase(phase_x, kernel_width, stride_x, pad_x, stride_x);
            for (long c = 0; c < channels; c++) {
                for (long a = 0; a < py.taps; a++) {
                    for (long b = 0; b < px.taps; b++) {
                        const long ky = py.last_tap - a * stride_y, kx = px.last_tap - b * stride_x;
                        for (long o = 0; o < outputs; o++) {
                            packed[((c * py.taps + a) * px.taps + b) * outputs + o] =
                                weight[((c * outputs + o) * kernel_height + ky) * kernel_width + kx];
                        }
                    }
                }
            }
            packed += channels * py.taps * px.taps * outputs;
        }
    }
}

long studio_conv_transposed_scratch_count(long channels, long height, long width, long kernel_height,
                                          long kernel_width, long stride_y, long stride_x, long pad_y, long pad_x,
                                          long outputs, long output_height, long output_width) {
    long before_y, after_y, before_x, after_x;
    studio_phase_borders(height, kernel_height, stride_y, pad_y, output_height, &before_y, &after_y);
    studio_phase_borders(width, kernel_width, stride_x, pad_x, output_width, &before_x, &after_x);
    const long phase_pixels = ((output_height + stride_y - 1) / stride_y) * ((output_width + stride_x - 1) / stride_x);
    return channels * (height + before_y + after_y) * (width + before_x + after_x) + phase_pixels * outputs;
}

int studio_conv_transposed(const float *image, long channels, long height, long width, const float *packed,
                           long outputs, long kernel_height, long kernel_width, long stride_y, long stride_x,
                           long pad_y, long pad_x, long output_height, long output_width, const float *bias,
                           float *result, float *scratch) {
#ifdef STUDIO_CONV_CHANNELS
    if (outputs % studio_channel_lanes != 0 || !studio_avx512_available()) return 0;
    long before_y, after_y, before_x, after_x;
    studio_phase_borders(height, kernel_height, stride_y, pad_y, output_height, &before_y, &after_y);
    studio_phase_borders(width, kernel_width, stride_x, pad_x, output_width, &before_x, &after_x);
    const long padded_height = height + before_y + after_y, padded_width = width + before_x + after_x;
    const long plane_size = padded_height * padded_width;
    for (long c = 0; c < channels; c++) {
        float *plane = scratch + c * plane_size;
        for (long y = 0; y < padded_height; y++) {
            const long source_y = y - before_y;
            for (long x = 0; x < padded_width; x++) {
                const long source_x = x - before_x;
                plane[y * padded_width + x] = source_y < 0 || source_y >= height || source_x < 0 || source_x >= width
                                                  ? 0.0f : image[(c * height + source_y) * width + source_x];
            }
        }
    }
    float *partial = scratch + channels * plane_size;
    for (long phase_y = 0; phase_y < stride_y; phase_y++) {
        const struct studio_axis_phase py = studio_phase(phase_y, kernel_height, stride_y, pad_y, output_height);
        for (long phase_x = 0; phase_x < stride_x; phase_x++) {
            const struct studio_axis_phase px = studio_phase(phase_x, kernel_width, stride_x, pad_x, output_width);
            if (py.count > 0 && px.count > 0) {
                struct studio_channel_work work = {
                    .planes = scratch + (before_y - py.front) * padded_width + (before_x - px.front),
                    .plane_size = plane_size, .padded_width = padded_width,
                    .kernel_height = py.taps, .kernel_width = px.taps, .stride_y = 1, .stride_x = 1,
                    .output_width = px.count, .output_plane = py.count * px.count, .height = height,
                    .pad_y = py.front, .packed = packed, .outputs = outputs, .bias = bias, .partial = partial,
                };
                studio_conv_channels_sum(work, channels);
                studio_scatter_partial(partial, outputs, py.count, px.count, result + phase_y * output_width + phase_x,
                                       output_height * output_width, stride_y * output_width, stride_x);
            }
            packed += channels * py.taps * px.taps * outputs;
        }
    }
    return 1;
#else
    (void)image; (void)channels; (void)height; (void)width; (void)packed; (void)outputs; (void)kernel_height;
    (void)kernel_width; (void)stride_y; (void)stride_x; (void)pad_y; (void)pad_x; (void)output_height;
    (void)output_width; (void)bias; (void)result; (void)scratch;
    return 0;
#endif
}

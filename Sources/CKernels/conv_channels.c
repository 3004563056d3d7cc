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

/// Output pixels per tile for 64, 32 and 16 output channels (four, two and one vector): 20 accumulators,
/// which with the four weight vectors and a broadcast stay within AVX-512's 32 registers.
enum { studio_channel_lanes = 16, studio_max_tile_pixels = 20 };

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
    for (long o = 0; o < outputs; o++) {
        for (long c = 0; c < channels; c++) {
            const float *kernel = weight + (o * channels + c) * taps;
            for (long t = 0; t < taps; t++) {
                if (transposed) {
                    packed[(o * taps + t) * channels + c] = kernel[taps - 1 - t];
                } else {
                    packed[(c * taps + t) * outputs + o] = kernel[t];
                }
            }
        }
    }
}

/// The zero-bordered copy of an image: `[channels, H + 2·pad_y, W + 2·pad_x]`.
static void studio_pad_planes(const float *restrict image, long channels, long height, long width, long pad_y,
                              long pad_x, float *restrict planes) {
    const long padded_height = studio_padded_height(height, pad_y), padded_width = studio_padded_width(width, pad_x);
    for (long c = 0; c < channels; c++) {
        float *plane = planes + c * padded_height * padded_width;
        for (long y = 0; y < padded_height; y++) {
            float *row = plane + y * padded_width;
            long source_y = y - pad_y;
            for (long x = 0; x < padded_width; x++) {
                long source_x = x - pad_x;
                row[x] = source_y < 0 || source_y >= height || source_x < 0 || source_x >= width
                             ? 0.0f : image[(c * height + source_y) * width + source_x];
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
STUDIO_CHANNEL_TILE(studio_tile_1x4, 1, 4)
STUDIO_CHANNEL_TILE(studio_tile_10x2, 10, 2)
STUDIO_CHANNEL_TILE(studio_tile_1x2, 1, 2)
STUDIO_CHANNEL_TILE(studio_tile_20x1, 20, 1)
STUDIO_CHANNEL_TILE(studio_tile_1x1, 1, 1)

typedef void (*studio_channel_tile)(const struct studio_channel_work *, long, long);

/// Every tile of the image for output channels `first ..< first + 16·vectors`.
STUDIO_AVX512_CHANNELS static void studio_conv_channels_tiles(const struct studio_channel_work *work, long first,
                                                              int vectors) {
    const studio_channel_tile full = vectors == 4 ? studio_tile_5x4 : vectors == 2 ? studio_tile_10x2 : studio_tile_20x1;
    const studio_channel_tile single = vectors == 4 ? studio_tile_1x4 : vectors == 2 ? studio_tile_1x2 : studio_tile_1x1;
    const long per_tile = studio_max_tile_pixels / vectors;
    long pixel = 0;
    for (; pixel + per_tile <= work->output_plane; pixel += per_tile) full(work, pixel, first);
    for (; pixel < work->output_plane; pixel++) single(work, pixel, first);
}

STUDIO_AVX512_CHANNELS static void studio_conv_channels_avx512(struct studio_channel_work work, long channels,
                                                               float *restrict result) {
    // Channels per block: their weights for 64 outputs fill about 16 KiB, so that they stay in the L1 cache
    // (32 or 48 KiB) across every tile of the image. With 128 KiB blocks, read from L2 for each tile, the
    // DCGAN's 5x5 layers ran 10-20% slower.
    const long taps = work.kernel_height * work.kernel_width;
    long block = 16384 / (long)(taps * 64 * sizeof(float));
    if (block < 1) block = 1;
    for (work.first_channel = 0; work.first_channel < channels; work.first_channel += block) {
        work.end_channel = work.first_channel + block < channels ? work.first_channel + block : channels;
        long first = 0;
        for (; first + 64 <= work.outputs; first += 64) studio_conv_channels_tiles(&work, first, 4);
        for (; first + 32 <= work.outputs; first += 32) studio_conv_channels_tiles(&work, first, 2);
        for (; first + 16 <= work.outputs; first += 16) studio_conv_channels_tiles(&work, first, 1);
    }
    for (long o = 0; o < work.outputs; o++) {
        for (long pixel = 0; pixel < work.output_plane; pixel++) {
            result[o * work.output_plane + pixel] = work.partial[pixel * work.outputs + o];
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
        studio_conv_channels_avx512(work, channels, result);
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

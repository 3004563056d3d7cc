#include "CKernels.h"
#include "conv_channels_work.h"

// A convolution of one image with any kernel, stride and padding, vectorised over output channels.
//
// Meant for small images with many channels (a DCGAN's 7x7 and 14x14 layers), where im2col makes a
// matrix of kh·kw copies and the flat kernel of conv3x3.c would compute mostly border columns. The image
// is copied once into zero-bordered planes; a register tile holds a few output pixels by up to 64
// output channels, and every (channel, ky, kx) adds one broadcast input scalar times a vector of
// weights to it. Each output is a chain of fused multiply-adds over channels, then ky, then kx: for a
// 3x3 kernel the same chain as studio_conv3x3's, so the two kernels give the same bits. For a few narrow
// shapes of row (a DCGAN's 7x7 layers) a tile is a whole output row instead, with its shape known when
// compiled, so that it skips the taps that fall in the zero border left and right.

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

/// Declares `acc[PIXELS][VECTORS]` for the pixels `pixel ..< pixel + PIXELS` by output channels from `first`,
/// starting from the previous block of channels' sums, or the bias, or zero.
#define STUDIO_TILE_START(acc, PIXELS, VECTORS)                                                                \
    __m512 acc[PIXELS][VECTORS];                                                                             \
    _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXELS; p++) {                                      \
        const float *partial = work->partial + (pixel + p) * work->outputs + first;                            \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++) {                                 \
            acc[p][v] = work->first_channel > 0 ? _mm512_loadu_ps(partial + v * studio_channel_lanes)          \
                        : work->bias ? _mm512_loadu_ps(work->bias + first + v * studio_channel_lanes)          \
                                     : _mm512_setzero_ps();                                                    \
        }                                                                                                      \
    }

/// Stores `acc` back as those pixels' running sums.
#define STUDIO_TILE_END(acc, PIXELS, VECTORS)                                                                  \
    _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXELS; p++) {                                      \
        float *partial = work->partial + (pixel + p) * work->outputs + first;                                  \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                                   \
            _mm512_storeu_ps(partial + v * studio_channel_lanes, acc[p][v]);                                   \
    }

/// Defines `name(work, pixel, first)`: pixels `pixel ..< pixel + PIXELS` by output channels
/// `first ..< first + 16·VECTORS` over the work's block of channels, with the tile's sizes as constants so
/// that its accumulators live in registers.
#define STUDIO_CHANNEL_TILE(name, PIXELS, VECTORS)                                                              \
    STUDIO_AVX512_CHANNELS static void name(const struct studio_channel_work *work, long pixel, long first) {  \
        const float *rows[PIXELS];                                                                           \
        STUDIO_TILE_START(acc, PIXELS, VECTORS);                                                              \
        _Pragma("clang loop unroll(full)") for (int p = 0; p < PIXELS; p++) {                                  \
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
        STUDIO_TILE_END(acc, PIXELS, VECTORS);                                                                      \
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

/// Defines `name(work, oy, first)`: the whole output row `oy`, OW pixels, by output channels
/// `first ..< first + 16·VECTORS`, for an image W wide read with kernel width KW, padding PAD and stride S,
/// all constants. Unlike a tile, it multiplies no tap that falls in the zero border: on a 7-wide row a
/// 5-wide kernel has 29 taps inside of 35. The sums are the tiles' chains less those zero products. As it
/// reads no border, it can read the image in place as well as padded planes.
#define STUDIO_ROW_TILE(name, VECTORS, OW, W, KW, PAD, S)                                                      \
    STUDIO_AVX512_CHANNELS static void name(const struct studio_channel_work *work, long oy, long first) {     \
        const long pixel = oy * OW;                                                                          \
        STUDIO_TILE_START(acc, OW, VECTORS);                                                                  \
        long ky_begin, ky_end;                                                                                 \
        studio_tile_rows(work, pixel, OW, &ky_begin, &ky_end);                                                \
        /* In place, row iy = oy·S + ky - pad_y and column p·S + kx - PAD; padded, both without the pad. */    \
        const long top = work->in_place ? work->pad_y : 0, left = work->in_place ? PAD : 0;                    \
        for (long c = work->first_channel; c < work->end_channel; c++) {                                      \
            for (long ky = ky_begin; ky < ky_end; ky++) {                                                     \
                const float *line = work->planes + c * work->plane_size                                        \
                                    + (oy * work->stride_y + ky - top) * work->padded_width;                  \
                const float *weights = work->packed + (c * KW * work->kernel_height + ky * KW) * work->outputs \
                                       + first;                                                                \
                _Pragma("clang loop unroll(full)") for (int kx = 0; kx < KW; kx++) {                           \
                    __m512 w[VECTORS];                                                                         \
                    _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                       \
                        w[v] = _mm512_loadu_ps(weights + kx * work->outputs + v * studio_channel_lanes);       \
                    _Pragma("clang loop unroll(full)") for (int p = 0; p < OW; p++) {                          \
                        if (p * S + kx - PAD < 0 || p * S + kx - PAD >= W) continue;                           \
                        __m512 x = _mm512_set1_ps(line[p * S + kx - left]);                                    \
                        _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                   \
                            acc[p][v] = _mm512_fmadd_ps(x, w[v], acc[p][v]);                                   \
                    }                                                                                          \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        STUDIO_TILE_END(acc, OW, VECTORS);                                                                          \
    }

/// Row tiles of three, two and one vectors for one shape of row.
#define STUDIO_ROW_TILES(tag, OW, W, KW, PAD, S)                                                               \
    STUDIO_ROW_TILE(studio_row_##tag##_3, 3, OW, W, KW, PAD, S)                                                \
    STUDIO_ROW_TILE(studio_row_##tag##_2, 2, OW, W, KW, PAD, S)                                                \
    STUDIO_ROW_TILE(studio_row_##tag##_1, 1, OW, W, KW, PAD, S)

// A DCGAN's 7x7 layers with 5x5 kernels: stride 1 (and the input gradients of those), stride 2 from 14x14,
// and the two column phases of the transposed convolution from 7x7 to 14x14.
STUDIO_ROW_TILES(s1, 7, 7, 5, 2, 1)
STUDIO_ROW_TILES(s2, 7, 14, 5, 2, 2)
STUDIO_ROW_TILES(p0, 7, 7, 3, 1, 1)
STUDIO_ROW_TILES(p1, 7, 7, 2, 0, 1)

typedef void (*studio_row_tile)(const struct studio_channel_work *, long, long);

static const struct {
    long output_width, width, kernel_width, pad_x, stride_x;
    studio_row_tile tiles[3];
} studio_row_shapes[] = {
    {7, 7, 5, 2, 1, {studio_row_s1_1, studio_row_s1_2, studio_row_s1_3}},
    {7, 14, 5, 2, 2, {studio_row_s2_1, studio_row_s2_2, studio_row_s2_3}},
    {7, 7, 3, 1, 1, {studio_row_p0_1, studio_row_p0_2, studio_row_p0_3}},
    {7, 7, 2, 0, 1, {studio_row_p1_1, studio_row_p1_2, studio_row_p1_3}},
};

/// The row tiles for the work's shape of row, or null.
static const studio_row_tile *studio_row_tiles_for(const struct studio_channel_work *work) {
    for (unsigned i = 0; i < sizeof studio_row_shapes / sizeof studio_row_shapes[0]; i++) {
        if (studio_row_shapes[i].output_width == work->output_width && studio_row_shapes[i].width == work->width
            && studio_row_shapes[i].kernel_width == work->kernel_width && studio_row_shapes[i].pad_x == work->pad_x
            && studio_row_shapes[i].stride_x == work->stride_x) {
            return studio_row_shapes[i].tiles;
        }
    }
    return 0;
}

STUDIO_AVX512_CHANNELS int studio_conv_channels_rows_cover(const struct studio_channel_work *work) {
    return work->outputs % studio_channel_lanes == 0 && studio_row_tiles_for(work) != 0;
}

/// Sums the work's whole image into `partial[pixel][outputs]`, one block of channels after another.
STUDIO_AVX512_CHANNELS void studio_conv_channels_sum(struct studio_channel_work work, long channels) {
    // Channels per block: their weights for 64 outputs fill about 64 KiB, those for a row tile's 48 about
    // 48 KiB, near the L1 cache's size, so that they are mostly still there for the next tile. Each block
    // loads and stores every partial sum once: with 16 KiB blocks (two channels of a 5x5 kernel) that
    // traffic and the short loops held convT 256->128 at 7x7 about 15% lower on one thread; 128 KiB did
    // no better than 64.
    const long taps = work.kernel_height * work.kernel_width;
    long block = taps > 0 ? 65536 / (long)(taps * 64 * sizeof(float)) : channels;
    if (block < 1) block = 1;
    const studio_row_tile *rows = studio_row_tiles_for(&work);
    work.first_channel = 0;
    do {
        work.end_channel = work.first_channel + block < channels ? work.first_channel + block : channels;
        long first = 0;
        if (rows) {
            const long rows_down = work.output_plane / work.output_width;
            for (int vectors = 3; vectors >= 1; vectors--) {
                for (; first + 16 * vectors <= work.outputs; first += 16 * vectors) {
                    for (long oy = 0; oy < rows_down; oy++) rows[vectors - 1](&work, oy, first);
                }
            }
        }
        for (; first + 64 <= work.outputs; first += 64) studio_conv_channels_tiles(&work, first, 4);
        for (; first + 32 <= work.outputs; first += 32) studio_conv_channels_tiles(&work, first, 2);
        for (; first + 16 <= work.outputs; first += 16) studio_conv_channels_tiles(&work, first, 1);
        work.first_channel += block;
    } while (work.first_channel < channels);
}

#endif

void studio_conv_channels(const float *image, long channels, long height, long width, const float *packed,
                          long outputs, long kernel_height, long kernel_width, long stride_y, long stride_x, long pad_y,
                          long pad_x, long output_height, long output_width, const float *bias, float *result,
                          float *scratch) {
    const long padded_height = studio_padded_height(height, pad_y), padded_width = studio_padded_width(width, pad_x);
    const long plane_size = padded_height * padded_width, output_plane = output_height * output_width;
#ifdef STUDIO_CONV_CHANNELS
    if (outputs % studio_channel_lanes == 0 && studio_avx512_available()) {
        struct studio_channel_work work = {
            .planes = image, .plane_size = height * width, .padded_width = width,
            .kernel_height = kernel_height, .kernel_width = kernel_width, .stride_y = stride_y, .stride_x = stride_x,
            .output_width = output_width, .output_plane = output_plane, .height = height, .width = width,
            .pad_y = pad_y, .pad_x = pad_x, .in_place = 1,
            .packed = packed, .outputs = outputs,
            .bias = bias, .partial = scratch + channels * plane_size,
        };
        if (!studio_conv_channels_rows_cover(&work)) {
            studio_pad_planes(image, channels, height, width, pad_y, pad_x, scratch);
            work.planes = scratch;
            work.plane_size = plane_size;
            work.padded_width = padded_width;
            work.in_place = 0;
        }
        studio_conv_channels_sum(work, channels);
        studio_transpose(work.partial, output_plane, outputs, result);
        return;
    }
#endif
    studio_pad_planes(image, channels, height, width, pad_y, pad_x, scratch);
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

#include "CKernels.h"

// The weight gradient of a convolution without an im2col matrix, vectorised over output channels.
//
// dW[o][c][ky][kx] sums, over images and output pixels, the output gradient at (o, pixel) times the input
// at (c, pixel·stride + tap). With the gradient laid out pixel-major (`[pixel][outputs]`) and the input in
// zero-bordered planes (or, for the shapes whose tiles leave the border's taps out, read in place), a
// register tile holds up to 64 output channels by a few kernel rows of kw taps; each output pixel adds a
// vector of gradients times one broadcast input scalar to each of its accumulators. Each weight's sum is a chain of fused multiply-adds over images, then output rows, then
// columns, whatever the tile or the thread that runs it.

#include "conv_weight_gradient_work.h"

void studio_conv_weight_gradient_prepare(const float *image, const float *gradient, long channels, long height,
                                         long width, long pad_y, long pad_x, long outputs, long output_plane,
                                         float *planes, float *gradient_by_pixel) {
    studio_pad_planes(image, channels, height, width, pad_y, pad_x, planes);
    studio_transpose(gradient, outputs, output_plane, gradient_by_pixel);
}

#ifdef STUDIO_WEIGHT_GRADIENT

/// Widens `begin ..< end` to cover the output rows whose kernel row `ky` reads inside the image: the others
/// read only the zero border, and skipping them leaves every finite sum as it was.
static inline void studio_rows_inside(const struct studio_weight_work *work, long ky, long *begin, long *end) {
    const long low = work->pad_y - ky, high = work->pad_y + work->height - ky;
    long first = low > 0 ? (low + work->stride_y - 1) / work->stride_y : 0;
    long last = high > 0 ? (high + work->stride_y - 1) / work->stride_y : 0;
    if (last > work->output_height) last = work->output_height;
    if (first < last) {
        if (first < *begin) *begin = first;
        if (last > *end) *end = last;
    }
}

#define STUDIO_UNROLLED _Pragma("clang loop unroll(full)")
#define STUDIO_NOT_UNROLLED

/// Declares, for kernel rows `row ..< row + ROWS`: `image_size`, the rows' channels and kernel rows
/// `channel_of[ROWS]` and `ky_of[ROWS]`, their padded planes' rows `rows[ROWS]`, the output rows
/// `oy_begin ..< oy_end` that read inside the image for some of them, and the tile's sums and accumulators.
#define STUDIO_WEIGHT_TILE_START(ROWS, KW, VECTORS)                                                            \
    const long image_size = work->channels * work->padded_height * work->padded_width;                      \
    const float *rows[ROWS];                                                                               \
    long channel_of[ROWS], ky_of[ROWS];                                                                      \
    long oy_begin = work->output_height, oy_end = 0;                                                         \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++) {                                      \
        channel_of[r] = (row + r) / work->kernel_height;                                                     \
        ky_of[r] = (row + r) % work->kernel_height;                                                          \
        rows[r] = work->planes + (channel_of[r] * work->padded_height + ky_of[r]) * work->padded_width;      \
        studio_rows_inside(work, ky_of[r], &oy_begin, &oy_end);                                              \
    }                                                                                                        \
    if (oy_end < oy_begin) oy_begin = oy_end = 0;                                                            \
    STUDIO_WEIGHT_SUMS(ROWS, KW, VECTORS)

/// Defines `name(work, row, first, begin, end)`: kernel rows `row ..< row + ROWS` (a row is a channel and a
/// ky) by KW taps by output channels `first ..< first + 16·VECTORS`, adding images `begin ..< end` to the
/// sums of the images before them. With OW above zero the output rows are OW wide, from input rows W wide
/// at padding PAD and stride S, all constants: the loop over a row is unrolled and skips the taps that fall
/// in the zero border, which leaves every finite sum as it was, and the images are read in place, a kernel
/// row above or below the image reading a row of zeros.
#define STUDIO_WEIGHT_TILE_SHAPED(name, VECTORS, ROWS, KW, OW, W, PAD, S, UNROLL)                             \
    STUDIO_AVX512_WEIGHTS static void name(const struct studio_weight_work *work, long row, long first,      \
                                                long begin, long end) {                                   \
        STUDIO_WEIGHT_TILE_START(ROWS, KW, VECTORS);                                                         \
        const float *gradient = work->gradient + begin * work->output_height * work->output_width * work->outputs \
                                + first;                                                                     \
        for (long n = begin; n < end; n++) {                                                                 \
            gradient += oy_begin * work->output_width * work->outputs;                                       \
            for (long oy = oy_begin; oy < oy_end; oy++) {                                                    \
                const long line = n * image_size + oy * work->stride_y * work->padded_width;                 \
                const float *in_place[ROWS];                                                                 \
                if (OW) {                                                                                    \
                    _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++) {                      \
                        const long iy = oy * work->stride_y + ky_of[r] - work->pad_y;                        \
                        in_place[r] = iy >= 0 && iy < work->height                                           \
                                      ? work->planes + n * image_size + (channel_of[r] * work->height + iy) * (W) \
                                      : studio_zero_row;                                                     \
                    }                                                                                        \
                }                                                                                            \
                UNROLL for (long ox = 0; ox < (OW ? OW : work->output_width); ox++) {                        \
                    __m512 g[VECTORS];                                                                       \
                    _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                     \
                        g[v] = _mm512_loadu_ps(gradient + v * 16);                                           \
                    gradient += work->outputs;                                                               \
                    const long at = line + ox * (OW ? S : work->stride_x);                                   \
                    _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++)                        \
                        _Pragma("clang loop unroll(full)") for (int k = 0; k < KW; k++) {                    \
                            if (OW && (ox * S + k - PAD < 0 || ox * S + k - PAD >= W)) continue;             \
                            const __m512 x = _mm512_set1_ps(OW ? in_place[r][ox * S + k - PAD] : rows[r][at + k]); \
                            _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)             \
                                acc[r][k][v] = _mm512_fmadd_ps(x, g[v], acc[r][k][v]);                       \
                        }                                                                                    \
                }                                                                                            \
            }                                                                                                \
            gradient += (work->output_height - oy_end) * work->output_width * work->outputs;                 \
        }                                                                                                    \
        STUDIO_WEIGHT_TILE_END(ROWS, KW, VECTORS);                                                           \
    }

#define STUDIO_WEIGHT_TILE(name, VECTORS, ROWS, KW)                                                          \
    STUDIO_WEIGHT_TILE_SHAPED(name, VECTORS, ROWS, KW, 0, 1, 0, 1, STUDIO_NOT_UNROLLED)

/// For kw 3, 4 and 5 and one, two and four vectors: a tile of several kernel rows (up to 24 accumulators)
/// and one of a single row for the tail. The row counts divide 12, so that runs of a multiple of 12 rows
/// need no tail.
#define STUDIO_WEIGHT_TILES(KW, R1, R2, R4)                                                                  \
    STUDIO_WEIGHT_TILE(studio_weights_##KW##_1, 1, R1, KW)                                                  \
    STUDIO_WEIGHT_TILE(studio_weights_##KW##_1_tail, 1, 1, KW)                                              \
    STUDIO_WEIGHT_TILE(studio_weights_##KW##_2, 2, R2, KW)                                                  \
    STUDIO_WEIGHT_TILE(studio_weights_##KW##_2_tail, 2, 1, KW)                                              \
    STUDIO_WEIGHT_TILE(studio_weights_##KW##_4, 4, R4, KW)                                                  \
    STUDIO_WEIGHT_TILE(studio_weights_##KW##_4_tail, 4, 1, KW)

/// Defines `name(work, row, first, begin, end)`: as a tile of VECTORS vectors of outputs by ROWS kernel rows
/// of KW taps, for stride 1 only, three output pixels at a time: an input value under taps k, k - 1 and
/// k - 2 of pixels ox, ox + 1 and ox + 2 is broadcast once for all three. With one vector of outputs the
/// plain tile loads a broadcast for every multiply-add, and it waits on loads rather than arithmetic. Each
/// sum still adds its pixels in order, so the bits are those of the plain tile.
#define STUDIO_WEIGHT_TILE_TRIPLES(name, VECTORS, ROWS, KW)                                                  \
    STUDIO_AVX512_WEIGHTS static void name(const struct studio_weight_work *work, long row, long first,      \
                                                long begin, long end) {                                   \
        STUDIO_WEIGHT_TILE_START(ROWS, KW, VECTORS);                                                         \
        const long width = work->output_width, outputs = work->outputs;                                    \
        const float *gradient = work->gradient + begin * work->output_height * width * outputs + first;     \
        for (long n = begin; n < end; n++) {                                                                 \
            gradient += oy_begin * width * outputs;                                                          \
            for (long oy = oy_begin; oy < oy_end; oy++) {                                                    \
                const long line = n * image_size + oy * work->stride_y * work->padded_width;                 \
                long ox = 0;                                                                                 \
                for (; ox + 3 <= width; ox += 3) {                                                           \
                    __m512 g[3][VECTORS];                                                                    \
                    _Pragma("clang loop unroll(full)") for (int p = 0; p < 3; p++)                           \
                        _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                 \
                            g[p][v] = _mm512_loadu_ps(gradient + p * outputs + v * 16);                      \
                    gradient += 3 * outputs;                                                                 \
                    _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++)                        \
                        _Pragma("clang loop unroll(full)") for (int j = 0; j < KW + 2; j++) {                \
                            const __m512 x = _mm512_set1_ps(rows[r][line + ox + j]);                         \
                            _Pragma("clang loop unroll(full)") for (int p = 0; p < 3; p++)                   \
                                if (j - p >= 0 && j - p < KW)                                                \
                                    _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)     \
                                        acc[r][j - p][v] = _mm512_fmadd_ps(x, g[p][v], acc[r][j - p][v]);    \
                        }                                                                                    \
                }                                                                                            \
                for (; ox < width; ox++) {                                                                   \
                    __m512 g[VECTORS];                                                                       \
                    _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                     \
                        g[v] = _mm512_loadu_ps(gradient + v * 16);                                           \
                    gradient += outputs;                                                                     \
                    _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++)                        \
                        _Pragma("clang loop unroll(full)") for (int k = 0; k < KW; k++) {                    \
                            const __m512 x = _mm512_set1_ps(rows[r][line + ox + k]);                         \
                            _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)             \
                                acc[r][k][v] = _mm512_fmadd_ps(x, g[v], acc[r][k][v]);                       \
                        }                                                                                    \
                }                                                                                            \
            }                                                                                                \
            gradient += (work->output_height - oy_end) * width * outputs;                                    \
        }                                                                                                    \
        STUDIO_WEIGHT_TILE_END(ROWS, KW, VECTORS);                                                           \
    }

STUDIO_WEIGHT_TILES(3, 6, 4, 2)
STUDIO_WEIGHT_TILE_TRIPLES(studio_weights_3_1_triples, 1, 6, 3)
STUDIO_WEIGHT_TILE_TRIPLES(studio_weights_3_1_triples_tail, 1, 1, 3)
STUDIO_WEIGHT_TILE_TRIPLES(studio_weights_3_2_triples, 2, 4, 3)
STUDIO_WEIGHT_TILE_TRIPLES(studio_weights_3_2_triples_tail, 2, 1, 3)
STUDIO_WEIGHT_TILES(4, 4, 2, 1)
STUDIO_WEIGHT_TILES(5, 4, 2, 1)

/// The same for a DCGAN's 5x5 layers, whose 7- and 14-wide rows waste up to a sixth of the products on
/// the zero border: 7x7 at stride 1, and from 14x14 and 28x28 at stride 2.
#define STUDIO_SHAPED_WEIGHT_TILES(tag, OW, W)                                                                \
    STUDIO_WEIGHT_TILE_SHAPED(studio_weights_##tag##_1, 1, 4, 5, OW, W, 2, (W) / (OW), STUDIO_UNROLLED)      \
    STUDIO_WEIGHT_TILE_SHAPED(studio_weights_##tag##_1_tail, 1, 1, 5, OW, W, 2, (W) / (OW), STUDIO_UNROLLED) \
    STUDIO_WEIGHT_TILE_SHAPED(studio_weights_##tag##_2, 2, 2, 5, OW, W, 2, (W) / (OW), STUDIO_UNROLLED)      \
    STUDIO_WEIGHT_TILE_SHAPED(studio_weights_##tag##_2_tail, 2, 1, 5, OW, W, 2, (W) / (OW), STUDIO_UNROLLED) \
    STUDIO_WEIGHT_TILE_SHAPED(studio_weights_##tag##_4, 4, 1, 5, OW, W, 2, (W) / (OW), STUDIO_UNROLLED)      \
    STUDIO_WEIGHT_TILE_SHAPED(studio_weights_##tag##_4_tail, 4, 1, 5, OW, W, 2, (W) / (OW), STUDIO_UNROLLED)

STUDIO_SHAPED_WEIGHT_TILES(7_7, 7, 7)
STUDIO_SHAPED_WEIGHT_TILES(7_14, 7, 14)
STUDIO_SHAPED_WEIGHT_TILES(14_28, 14, 28)

#define STUDIO_SHAPED_ENTRY(tag)                                                                              \
    {{4, 2, 1}, {studio_weights_##tag##_1, studio_weights_##tag##_2, studio_weights_##tag##_4},              \
     {studio_weights_##tag##_1_tail, studio_weights_##tag##_2_tail, studio_weights_##tag##_4_tail}}

/// Output width, input width (5x5 kernels, padding 2, stride the ratio) and the tiles for that shape.
static const struct { long output_width, width; struct studio_weight_tiles tiles; } studio_shaped_weight_tiles[] = {
    {7, 7, STUDIO_SHAPED_ENTRY(7_7)}, {7, 14, STUDIO_SHAPED_ENTRY(7_14)}, {14, 28, STUDIO_SHAPED_ENTRY(14_28)},
};

/// The shaped tiles for this row shape, or none.
static const struct studio_weight_tiles *studio_shaped_tiles(long kernel_width, long stride_x, long pad_x, long width,
                                                             long output_width) {
    for (unsigned i = 0; i < sizeof studio_shaped_weight_tiles / sizeof studio_shaped_weight_tiles[0]; i++) {
        const long shaped_width = studio_shaped_weight_tiles[i].width;
        if (kernel_width == 5 && pad_x == 2 && width == shaped_width
            && output_width == studio_shaped_weight_tiles[i].output_width
            && stride_x == shaped_width / output_width) {
            return &studio_shaped_weight_tiles[i].tiles;
        }
    }
    return 0;
}

/// Kernel width 3 at stride 1: one and two vectors of outputs take the three-pixel tiles.
static const struct studio_weight_tiles studio_weight_tiles_3_s1 = {
    {6, 4, 2}, {studio_weights_3_1_triples, studio_weights_3_2_triples, studio_weights_3_4},
    {studio_weights_3_1_triples_tail, studio_weights_3_2_triples_tail, studio_weights_3_4_tail}};

static const struct studio_weight_tiles studio_weight_tiles_for[3] = {
    {{6, 4, 2}, {studio_weights_3_1, studio_weights_3_2, studio_weights_3_4},
     {studio_weights_3_1_tail, studio_weights_3_2_tail, studio_weights_3_4_tail}},
    {{4, 2, 1}, {studio_weights_4_1, studio_weights_4_2, studio_weights_4_4},
     {studio_weights_4_1_tail, studio_weights_4_2_tail, studio_weights_4_4_tail}},
    {{4, 2, 1}, {studio_weights_5_1, studio_weights_5_2, studio_weights_5_4},
     {studio_weights_5_1_tail, studio_weights_5_2_tail, studio_weights_5_4_tail}},
};

#endif

const float studio_zero_row[studio_zero_row_floats];

int studio_conv_weight_gradient_in_place(long kernel_height, long kernel_width, long stride_y, long stride_x,
                                         long pad_y, long pad_x, long height, long width, long output_height,
                                         long output_width) {
    if (width > studio_zero_row_floats) return 0;
#ifdef STUDIO_WEIGHT_GRADIENT
    if (studio_shaped_tiles(kernel_width, stride_x, pad_x, width, output_width)) return 1;
#endif
    return kernel_height == 3 && kernel_width == 3 && stride_y == 1 && stride_x == 1 && pad_y == 1 && pad_x == 1
           && output_height == height && output_width == width;
}

long studio_conv_weight_gradient_row_multiple(long outputs, long kernel_width) {
#ifdef STUDIO_WEIGHT_GRADIENT
    if (kernel_width < 3 || kernel_width > 5) return 1;
    // The shaped and three-pixel tiles take as many rows as the plain ones of their kernel width.
    const long *rows = studio_weight_tiles_for[kernel_width - 3].rows;
    long multiple = 1;
    for (int kind = 2; kind >= 0; kind--) {
        const long width = 16L << kind;
        if (outputs < width) continue;
        const long r = rows[kind];
        long a = multiple, b = r;
        while (b != 0) {
            const long t = a % b;
            a = b;
            b = t;
        }
        multiple = multiple / a * r;
        outputs %= width;
    }
    return multiple;
#else
    (void)outputs;
    (void)kernel_width;
    return 1;
#endif
}

int studio_conv_weight_gradient(const float *planes, const float *gradient_by_pixel, long batch, long channels,
                                long height, long width, long pad_y, long pad_x, long outputs,
                                long kernel_height, long kernel_width, long stride_y, long stride_x,
                                long output_height, long output_width, long first_row, long end_row,
                                float *packed) {
#ifdef STUDIO_WEIGHT_GRADIENT
    if (kernel_width < 3 || kernel_width > 5 || outputs % 16 != 0 || !studio_avx512_available()) return 0;
    const int in_place = studio_conv_weight_gradient_in_place(kernel_height, kernel_width, stride_y, stride_x, pad_y,
                                                              pad_x, height, width, output_height, output_width);
    const long padded_height = in_place ? height : height + 2 * pad_y;
    const long padded_width = in_place ? width : width + 2 * pad_x;
    const struct studio_weight_work work = {
        .planes = planes, .gradient = gradient_by_pixel, .batch = batch, .channels = channels,
        .padded_height = padded_height, .padded_width = padded_width, .outputs = outputs,
        .kernel_height = kernel_height, .stride_y = stride_y, .stride_x = stride_x,
        .output_height = output_height, .output_width = output_width, .height = height, .pad_y = pad_y,
        .packed = packed,
    };
    const struct studio_weight_tiles *tiles =
        kernel_width == 3 && stride_x == 1 ? &studio_weight_tiles_3_s1 : &studio_weight_tiles_for[kernel_width - 3];
    const struct studio_weight_tiles *shaped = studio_shaped_tiles(kernel_width, stride_x, pad_x, width, output_width);
    if (shaped) tiles = shaped;
    else if (in_place) tiles = &studio_weight_tiles_3_in_place;
    // Images a pass: as many as keep their planes and gradients within about 512 KiB, so that every tile of
    // the pass reads them from the L2 cache; each tile carries its sums from one pass to the next.
    const long image_bytes = (channels * padded_height * padded_width + output_height * output_width * outputs)
                             * (long)sizeof(float);
    long per_pass = 524288 / (image_bytes > 0 ? image_bytes : 1);
    if (per_pass < 1) per_pass = 1;
    if (batch == 0) {
        for (long index = first_row * kernel_width * outputs; index < end_row * kernel_width * outputs; index++) {
            packed[index] = 0.0f;
        }
    }
    for (long begin = 0; begin < batch; begin += per_pass) {
        const long end = begin + per_pass < batch ? begin + per_pass : batch;
        long first = 0;
        for (int kind = 2; kind >= 0; kind--) {
            const long width = 16L << kind;
            for (; first + width <= outputs; first += width) {
                long row = first_row;
                for (; row + tiles->rows[kind] <= end_row; row += tiles->rows[kind])
                    tiles->tile[kind](&work, row, first, begin, end);
                for (; row < end_row; row++) tiles->tail[kind](&work, row, first, begin, end);
            }
        }
    }
    return 1;
#else
    (void)planes; (void)gradient_by_pixel; (void)batch; (void)channels; (void)height; (void)width; (void)pad_y;
    (void)pad_x;
    (void)outputs; (void)kernel_height; (void)kernel_width; (void)stride_y; (void)stride_x; (void)output_height;
    (void)output_width; (void)first_row; (void)end_row; (void)packed;
    return 0;
#endif
}

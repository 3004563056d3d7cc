#include "CKernels.h"
#include "conv_weight_gradient_work.h"

// The weight gradient of a 3x3, stride-1, padding-1 convolution whose output is the size of its input
// (the UNets' convolutions), reading the images in place instead of zero-bordered copies of them.
//
// As in conv_weight_gradient.c, a tile holds output channels by a few kernel rows of three taps, and each
// output pixel adds its gradient vectors times broadcast input scalars. Here a row of output pixels goes in
// groups of up to four (one vector of outputs), three (two) or one (four), as many as the registers hold:
// an input value under taps k, k - 1, ... of the group's pixels ox, ox + 1, ... is broadcast once for all
// of them. The taps left of x = 0 in a row's first group and right of x = W - 1 in its last are left out;
// a kernel row above or below the image reads a row of zeros. Each sum adds its pixels in the order of the
// padded tiles, so the bits are theirs (a left-out tap would add a zero product, which changes nothing but
// the sign of a zero sum).

#ifdef STUDIO_WEIGHT_GRADIENT

/// Adds the P pixels from `ox` of the output row to `acc`: their gradients, then the input values
/// `line[r][ox - 1 ..< ox + P + 1]` of each kernel row, broadcast once for every pixel whose taps read them,
/// without the one left of the row (LEFT) or right of it (RIGHT).
#define STUDIO_IN_PLACE_GROUP(P, LEFT, RIGHT)                                                                  \
    do {                                                                                                       \
        __m512 g[P][tile_vectors];                                                                             \
        _Pragma("clang loop unroll(full)") for (int p = 0; p < (P); p++)                                       \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < tile_vectors; v++)                          \
                g[p][v] = _mm512_loadu_ps(gradient + p * outputs + v * 16);                                    \
        gradient += (P) * outputs;                                                                             \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < tile_rows; r++)                                 \
            _Pragma("clang loop unroll(full)") for (int j = 0; j < (P) + 2; j++) {                             \
                if (((LEFT) && j == 0) || ((RIGHT) && j == (P) + 1)) continue;                                 \
                const __m512 x = _mm512_set1_ps(line[r][ox - 1 + j]);                                          \
                _Pragma("clang loop unroll(full)") for (int p = 0; p < (P); p++)                               \
                    if (j - p >= 0 && j - p < 3)                                                               \
                        _Pragma("clang loop unroll(full)") for (int v = 0; v < tile_vectors; v++)              \
                            acc[r][j - p][v] = _mm512_fmadd_ps(x, g[p][v], acc[r][j - p][v]);                  \
            }                                                                                                  \
        ox += (P);                                                                                             \
    } while (0)

/// The last group of a row, of `count` (1 ... tile_group) pixels.
#define STUDIO_IN_PLACE_LAST(count, LEFT)                                                                      \
    switch (count) {                                                                                           \
    case 4: if (tile_group >= 4) STUDIO_IN_PLACE_GROUP(tile_group >= 4 ? 4 : 1, LEFT, 1); break;               \
    case 3: if (tile_group >= 3) STUDIO_IN_PLACE_GROUP(tile_group >= 3 ? 3 : 1, LEFT, 1); break;               \
    case 2: if (tile_group >= 2) STUDIO_IN_PLACE_GROUP(tile_group >= 2 ? 2 : 1, LEFT, 1); break;               \
    default: STUDIO_IN_PLACE_GROUP(1, LEFT, 1); break;                                                         \
    }

/// Defines `name(work, row, first, begin, end)` as in conv_weight_gradient.c for a 3x3 kernel: kernel rows
/// `row ..< row + ROWS` by output channels `first ..< first + 16·VECTORS`, output pixels in groups of up
/// to GROUP.
#define STUDIO_WEIGHT_TILE_IN_PLACE(name, VECTORS, ROWS, GROUP)                                                \
    STUDIO_AVX512_WEIGHTS static void name(const struct studio_weight_work *work, long row, long first,        \
                                           long begin, long end) {                                             \
        enum { tile_vectors = VECTORS, tile_rows = ROWS, tile_group = GROUP };                                 \
        STUDIO_WEIGHT_SUMS(ROWS, 3, VECTORS);                                                                  \
        const long height = work->height, width = work->output_width, outputs = work->outputs;                 \
        const long plane = height * width, image_size = work->channels * plane;                                \
        const float *gradient = work->gradient + begin * plane * outputs + first;                              \
        long channel_start[ROWS], shift[ROWS];                                                                 \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++) {                                    \
            channel_start[r] = (row + r) / 3 * plane;                                                          \
            shift[r] = (row + r) % 3 - 1;                                                                      \
        }                                                                                                      \
        for (long n = begin; n < end; n++) {                                                                   \
            for (long oy = 0; oy < height; oy++) {                                                             \
                const float *line[ROWS];                                                                       \
                _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++) {                            \
                    const long iy = oy + shift[r];                                                             \
                    line[r] = iy >= 0 && iy < height                                                           \
                                  ? work->planes + n * image_size + channel_start[r] + iy * width              \
                                  : studio_zero_row;                                                           \
                }                                                                                              \
                long ox = 0;                                                                                   \
                if (width <= GROUP) {                                                                          \
                    STUDIO_IN_PLACE_LAST(width, 1);                                                            \
                } else {                                                                                       \
                    STUDIO_IN_PLACE_GROUP(GROUP, 1, 0);                                                        \
                    const long last = width - 1 - (width - GROUP - 1) % GROUP;                                 \
                    while (ox < last) STUDIO_IN_PLACE_GROUP(GROUP, 0, 0);                                      \
                    STUDIO_IN_PLACE_LAST(width - ox, 0);                                                       \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        STUDIO_WEIGHT_TILE_END(ROWS, 3, VECTORS);                                                              \
    }

// The same row counts as the padded 3-wide tiles (6, 4, 2), with groups as large as leave the
// accumulators, the group's gradient vectors and a broadcast within the 32 registers.
STUDIO_WEIGHT_TILE_IN_PLACE(studio_weights_in_place_1, 1, 6, 4)
STUDIO_WEIGHT_TILE_IN_PLACE(studio_weights_in_place_1_tail, 1, 1, 4)
STUDIO_WEIGHT_TILE_IN_PLACE(studio_weights_in_place_2, 2, 4, 3)
STUDIO_WEIGHT_TILE_IN_PLACE(studio_weights_in_place_2_tail, 2, 1, 3)
STUDIO_WEIGHT_TILE_IN_PLACE(studio_weights_in_place_4, 4, 2, 1)
STUDIO_WEIGHT_TILE_IN_PLACE(studio_weights_in_place_4_tail, 4, 1, 1)

const struct studio_weight_tiles studio_weight_tiles_3_in_place = {
    {6, 4, 2},
    {studio_weights_in_place_1, studio_weights_in_place_2, studio_weights_in_place_4},
    {studio_weights_in_place_1_tail, studio_weights_in_place_2_tail, studio_weights_in_place_4_tail}};

#endif

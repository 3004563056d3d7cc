// What the weight-gradient tiles share between conv_weight_gradient.c and conv3x3_weight_gradient.c.

#ifndef STUDIO_CONV_WEIGHT_GRADIENT_WORK_H
#define STUDIO_CONV_WEIGHT_GRADIENT_WORK_H

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_WEIGHT_GRADIENT 1
#include <immintrin.h>
#endif

/// A row of zeros for the kernel rows above or below the image of the tiles that read it in place, which
/// take rows up to this wide.
enum { studio_zero_row_floats = 1024 };
extern const float studio_zero_row[studio_zero_row_floats];

#ifdef STUDIO_WEIGHT_GRADIENT

#define STUDIO_AVX512_WEIGHTS __attribute__((target("avx512f,fma")))

/// What every tile reads: the batch's padded planes `[batch][channels][Hp][Wp]` (or, for the tiles that
/// read in place, its images `[batch][channels][H][W]`), its gradients `[batch][H'·W'][outputs]`, and the
/// sums `packed[(channel·kh + ky)·kw + kx][outputs]`.
struct studio_weight_work {
    const float *planes, *gradient;
    long batch, channels, padded_height, padded_width, outputs, kernel_height, stride_y, stride_x;
    long output_height, output_width, height, pad_y;
    float *packed;
};

/// Declares `sums` (the tile's place in `packed`) and `acc[ROWS][KW][VECTORS]`, starting from the sums of the
/// images before `begin`, or zero.
#define STUDIO_WEIGHT_SUMS(ROWS, KW, VECTORS)                                                                  \
    float *sums = work->packed + row * KW * work->outputs + first;                                           \
    __m512 acc[ROWS][KW][VECTORS];                                                                           \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++)                                        \
        _Pragma("clang loop unroll(full)") for (int k = 0; k < KW; k++)                                      \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                             \
                acc[r][k][v] = begin == 0 ? _mm512_setzero_ps()                                              \
                               : _mm512_loadu_ps(sums + ((long)r * KW + k) * work->outputs + v * 16)

/// Stores `acc` back as the tile's sums.
#define STUDIO_WEIGHT_TILE_END(ROWS, KW, VECTORS)                                                              \
    _Pragma("clang loop unroll(full)") for (int r = 0; r < ROWS; r++)                                        \
        _Pragma("clang loop unroll(full)") for (int k = 0; k < KW; k++)                                      \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < VECTORS; v++)                             \
                _mm512_storeu_ps(sums + ((long)r * KW + k) * work->outputs + v * 16, acc[r][k][v])

/// A tile: `(work, row, first, begin, end)`, see conv_weight_gradient.c.
typedef void (*studio_weight_tile)(const struct studio_weight_work *, long, long, long, long);

/// The tiles of one kernel width for one, two and four vectors of outputs, each with the kernel rows it
/// takes, and a one-row tile for each for the tail of a run.
struct studio_weight_tiles { long rows[3]; studio_weight_tile tile[3], tail[3]; };

/// The 3x3, stride-1, padding-1 tiles that read the images in place (conv3x3_weight_gradient.c).
extern const struct studio_weight_tiles studio_weight_tiles_3_in_place;

#endif

#endif

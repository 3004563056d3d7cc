#include "CKernels.h"

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#endif

// A 3x3, stride-1, padding-1 convolution of one image, read in place.
//
// Over the flat index f = y·W + x of a channel, output f reads the nine positions f + (ky - 1)·W + kx - 1:
// the convolution is one-dimensional with nine fixed offsets, and runs sixteen outputs per vector. No
// padded copy of the image is made. The zero padding's taps are left out instead: those above the first
// row and below the last, by running those rows separately without them, and those left of x = 0 or right
// of x = W - 1 (which would read the neighbouring row), by masked loads that read them as zeros. Each
// output is the sum over channels, then taps in order, of fused multiply-adds: a fixed order, so the bits
// depend only on the processor, never on threads. (A left-out tap would add a zero product, which changes
// nothing but the sign of a zero sum.)

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_CONV3X3 1
#endif

/// Output channels per register tile, and at most three vectors of flat positions: 3 x 8 accumulators,
/// three input vectors and a broadcast weight fill 28 of AVX-512's 32 registers.
enum { studio_tile_outputs = 8, studio_tile_vectors = 3, studio_lanes = 16 };

/// Flat positions per channel up to which the lanes' columns come exactly from a division in floats,
/// corrected by one; larger images take the channel kernel.
static const long studio_flat_limit = 1L << 24;

int studio_avx512_available(void) {
#ifdef STUDIO_CONV3X3
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

long studio_conv3x3_scratch_count(long channels, long height, long width, long outputs) {
    // Only the channel kernel, which runs where the vector loop does not, needs scratch.
#ifdef STUDIO_CONV3X3
    if (studio_avx512_available() && height * width < studio_flat_limit) return 0;
#endif
    return studio_conv_channels_scratch_count(channels, height, width, 1, 1, outputs, height, width);
}

#ifdef STUDIO_CONV3X3

typedef float studio_v16 __attribute__((vector_size(64)));

#define STUDIO_AVX512 __attribute__((target("avx512f,fma")))

/// The lanes of the vectors at flat positions f0 + 16·v (v < vectors) below `end`, for each kx: those
/// whose tap kx reads inside the row (kx = 0: x >= 1; kx = 2: x <= W - 2; kx = 1: all of them).
STUDIO_AVX512 static inline void studio_column_masks(long f0, int vectors, long width, long end,
                                                     __mmask16 masks[3][studio_tile_vectors]) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i one = _mm512_set1_epi32(1), columns = _mm512_set1_epi32((int)width);
    for (int v = 0; v < vectors; v++) {
        __m512i p = _mm512_add_epi32(_mm512_set1_epi32((int)(f0 + v * studio_lanes)), lanes);
        // Below 2^24 the positions are exact in floats and the rounded quotient is off by at most one.
        __m512i y = _mm512_cvttps_epi32(_mm512_div_ps(_mm512_cvtepi32_ps(p), _mm512_set1_ps((float)width)));
        __m512i x = _mm512_sub_epi32(p, _mm512_mullo_epi32(y, columns));
        x = _mm512_mask_add_epi32(x, _mm512_cmplt_epi32_mask(x, _mm512_setzero_si512()), x, columns);
        x = _mm512_mask_sub_epi32(x, _mm512_cmpge_epi32_mask(x, columns), x, columns);
        __mmask16 inside = _mm512_cmplt_epi32_mask(p, _mm512_set1_epi32((int)end));
        masks[0][v] = inside & _mm512_cmpge_epi32_mask(x, one);
        masks[1][v] = inside;
        masks[2][v] = inside & _mm512_cmplt_epi32_mask(x, _mm512_sub_epi32(columns, one));
    }
}

STUDIO_AVX512 static inline studio_v16 studio_splat(float s) {
    return (studio_v16){s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
}

/// `acc[o][v] += in[v] · w[o]` for `count` outputs and `vectors` vectors (constants where it is inlined).
STUDIO_AVX512 __attribute__((always_inline)) static inline void
studio_conv3x3_tap(studio_v16 acc[studio_tile_outputs][studio_tile_vectors], int count, int vectors,
                   const studio_v16 in[studio_tile_vectors], const float *restrict w) {
#pragma clang fp contract(fast)
    for (int o = 0; o < count; o++) {
        studio_v16 weight = studio_splat(w[o]);
        for (int v = 0; v < vectors; v++) acc[o][v] = in[v] * weight + acc[o][v];
    }
}

/// `vectors` vectors (at most three) of tap kx from `row`, a row's worth of flat positions before or after
/// the outputs at the tile's first position; kx = 1 reads unmasked unless the tile ends early (`tail`).
STUDIO_AVX512 __attribute__((always_inline)) static inline void
studio_conv3x3_load(studio_v16 in[studio_tile_vectors], unsigned long row, int kx, int vectors, int tail,
                    const __mmask16 masks[3][studio_tile_vectors]) {
    for (int v = 0; v < vectors; v++) {
        // Addresses as integers: a masked lane's position may lie outside the image, and is never read.
        const void *source = (const void *)(row + ((kx - 1) + v * studio_lanes) * (long)sizeof(float));
        in[v] = kx == 1 && !tail ? (studio_v16)_mm512_loadu_ps(source)
                                 : (studio_v16)_mm512_maskz_loadu_ps(masks[kx][v], source);
    }
}

/// Outputs `first ..< first + count` (count <= 8) of the flat positions `f0 ..< f0 + 16·vectors`, summed
/// over every channel and the taps of kernel rows `ky0 ... ky1`; `count`, `vectors` and `tail` (whether
/// the last vector ends before its 16th lane) are constants where it is inlined.
STUDIO_AVX512 __attribute__((always_inline)) static inline void
studio_conv3x3_tile(const float *restrict image, long channels, long plane, long width,
                    const float *restrict packed, long outputs, long first, int count, int vectors, int tail,
                    int ky0, int ky1, const __mmask16 masks[3][studio_tile_vectors], const float *restrict bias,
                    float *restrict result, long f0) {
    studio_v16 acc[studio_tile_outputs][studio_tile_vectors];
    for (int o = 0; o < count; o++) {
        studio_v16 start = studio_splat(bias ? bias[first + o] : 0.0f);
        for (int v = 0; v < vectors; v++) acc[o][v] = start;
    }
    for (long c = 0; c < channels; c++) {
        const unsigned long source = (unsigned long)(image + c * plane + f0);
        const float *taps = packed + c * 9 * outputs + first;
        for (int ky = ky0; ky <= ky1; ky++) {
            const unsigned long row = source + (ky - 1) * width * (long)sizeof(float);
            studio_v16 in[studio_tile_vectors];
#pragma clang loop unroll(full)
            for (int kx = 0; kx < 3; kx++) {
                studio_conv3x3_load(in, row, kx, vectors, tail, masks);
                studio_conv3x3_tap(acc, count, vectors, in, taps + (3 * ky + kx) * outputs);
            }
        }
    }
    for (int o = 0; o < count; o++) {
        float *target = result + (first + o) * plane + f0;
        for (int v = 0; v < vectors; v++) {
            if (tail) {
                _mm512_mask_storeu_ps(target + v * studio_lanes, masks[1][v], (__m512)acc[o][v]);
            } else {
                _mm512_storeu_ps(target + v * studio_lanes, (__m512)acc[o][v]);
            }
        }
    }
}

/// Every output's tiles of `vectors` vectors at flat position f0 (`vectors` and `tail` constants where it
/// is inlined).
STUDIO_AVX512 __attribute__((always_inline)) static inline void
studio_conv3x3_tiles(const float *restrict image, long channels, long height, long width,
                     const float *restrict packed, long outputs, int vectors, int tail, int ky0, int ky1, long end,
                     const float *restrict bias, float *restrict result, long f0) {
    __mmask16 masks[3][studio_tile_vectors];
    studio_column_masks(f0, vectors, width, end, masks);
    const long plane = height * width;
    long first = 0;
    for (; first + studio_tile_outputs <= outputs; first += studio_tile_outputs) {
        studio_conv3x3_tile(image, channels, plane, width, packed, outputs, first, studio_tile_outputs, vectors, tail,
                            ky0, ky1, masks, bias, result, f0);
    }
    for (; first < outputs; first++) {
        studio_conv3x3_tile(image, channels, plane, width, packed, outputs, first, 1, vectors, tail, ky0, ky1, masks,
                            bias, result, f0);
    }
}

/// The flat positions `start ..< end`, rows whose taps lie in kernel rows `ky0 ... ky1`: three vectors a
/// tile, then one tile of the one to three vectors left, the last of which may end early.
STUDIO_AVX512 static void studio_conv3x3_rows(const float *restrict image, long channels, long height, long width,
                                              const float *restrict packed, long outputs, int ky0, int ky1,
                                              long start, long end, const float *restrict bias,
                                              float *restrict result) {
    const long count = (end - start + studio_lanes - 1) / studio_lanes;
    const int tail = (end - start) % studio_lanes != 0;
    long v = 0;
    for (; count - v > studio_tile_vectors; v += studio_tile_vectors) {
        studio_conv3x3_tiles(image, channels, height, width, packed, outputs, 3, 0, ky0, ky1, end, bias, result,
                             start + v * studio_lanes);
    }
    const long f0 = start + v * studio_lanes;
    // The last tile's vector count and tail as constants, so that its accumulators stay in registers.
#define STUDIO_LAST_TILE(VECTORS, TAIL)                                                                          \
    studio_conv3x3_tiles(image, channels, height, width, packed, outputs, VECTORS, TAIL, ky0, ky1, end, bias,    \
                         result, f0)
    switch ((count - v) * 2 + tail) {
    case 2: STUDIO_LAST_TILE(1, 0); break;
    case 3: STUDIO_LAST_TILE(1, 1); break;
    case 4: STUDIO_LAST_TILE(2, 0); break;
    case 5: STUDIO_LAST_TILE(2, 1); break;
    case 6: STUDIO_LAST_TILE(3, 0); break;
    case 7: STUDIO_LAST_TILE(3, 1); break;
    default: break;
    }
#undef STUDIO_LAST_TILE
}

STUDIO_AVX512 static void studio_conv3x3_avx512(const float *restrict image, long channels, long height, long width,
                                                const float *restrict packed, long outputs,
                                                const float *restrict bias, float *restrict result) {
    // The first row has no taps above it, the last none below, and the rows between all nine.
    if (height == 1) {
        studio_conv3x3_rows(image, channels, height, width, packed, outputs, 1, 1, 0, width, bias, result);
        return;
    }
    studio_conv3x3_rows(image, channels, height, width, packed, outputs, 1, 2, 0, width, bias, result);
    studio_conv3x3_rows(image, channels, height, width, packed, outputs, 0, 2, width, (height - 1) * width, bias,
                        result);
    studio_conv3x3_rows(image, channels, height, width, packed, outputs, 0, 1, (height - 1) * width, height * width,
                        bias, result);
}

#endif

void studio_conv3x3(const float *image, long channels, long height, long width, const float *packed, long outputs,
                    const float *bias, float *result, float *scratch) {
#ifdef STUDIO_CONV3X3
    if (studio_avx512_available() && height * width < studio_flat_limit) {
        studio_conv3x3_avx512(image, channels, height, width, packed, outputs, bias, result);
        return;
    }
#endif
    // Elsewhere the channel kernel runs the same chain of fused multiply-adds.
    studio_conv_channels(image, channels, height, width, packed, outputs, 3, 3, 1, 1, 1, 1, height, width, bias, result,
                         scratch);
}

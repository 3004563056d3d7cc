#include "CKernels.h"

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#endif

// A 3x3, stride-1, padding-1 convolution of one image, without im2col.
//
// The image is copied once into a zero-bordered plane per channel, (H + 2) x (W + 2), stored row after
// row. Output (y, x) then reads the nine positions f + ky·(W + 2) + kx of every plane, where
// f = y·(W + 2) + x: over the flat index f the convolution is one-dimensional, with nine fixed offsets,
// and runs sixteen outputs per vector. The two positions per row with x >= W are computed and
// dropped when the rows are copied out. Each output is the sum over channels, then taps in order,
// of fused multiply-adds: a fixed order, so the bits depend only on the processor, never on threads.

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_CONV3X3 1
#endif

/// Output channels per register tile, and at most three vectors of flat positions: 3 x 8 accumulators,
/// three input vectors and a broadcast weight fill 28 of AVX-512's 32 registers.
enum { studio_tile_outputs = 8, studio_max_tile_vectors = 3, studio_lanes = 16 };

/// Vectors of flat positions per tile: three, or two where that computes fewer dropped positions (a 7x7
/// image's 63 flat positions take four vectors, not six).
static int studio_tile_vectors(long height, long width) {
    long vectors = (height * (width + 2) + studio_lanes - 1) / studio_lanes;
    return (vectors + 1) / 2 * 2 < (vectors + 2) / 3 * 3 ? 2 : 3;
}

static long studio_flat_outputs(long height, long width) {
    long vectors = (height * (width + 2) + studio_lanes - 1) / studio_lanes;
    long per_tile = studio_tile_vectors(height, width);
    return (vectors + per_tile - 1) / per_tile * per_tile * studio_lanes;
}

static long studio_plane_stride(long height, long width) {
    // The last tile reads up to 2·(W + 2) + 2 positions past its own outputs.
    long needed = studio_flat_outputs(height, width) + 2 * (width + 2) + 2;
    return (needed + studio_lanes - 1) / studio_lanes * studio_lanes;
}

int studio_avx512_available(void) {
#ifdef STUDIO_CONV3X3
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

long studio_conv3x3_scratch_count(long channels, long height, long width, long outputs) {
    return channels * studio_plane_stride(height, width) + outputs * studio_flat_outputs(height, width);
}

#ifdef STUDIO_CONV3X3

typedef float studio_v16 __attribute__((vector_size(64)));
typedef float studio_v16u __attribute__((vector_size(64), aligned(4)));

#define STUDIO_AVX512 __attribute__((target("avx512f,fma")))

STUDIO_AVX512 static inline studio_v16 studio_splat(float s) {
    return (studio_v16){s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
}

/// Outputs `first ..< first + count` (count <= 8) of the flat positions `f0 ..< f0 + 16·vectors`
/// (vectors <= 3), summed over every channel and tap; both counts are constants where it is inlined.
STUDIO_AVX512 __attribute__((always_inline)) static inline void
studio_conv3x3_tile(const float *restrict planes, long channels, long plane_stride, long padded_width,
                    const float *restrict packed, long outputs, long first, int count, int vectors,
                    const float *restrict bias, float *restrict flat, long flat_stride, long f0) {
#pragma clang fp contract(fast)
    studio_v16 acc[studio_tile_outputs][studio_max_tile_vectors];
    for (int o = 0; o < count; o++) {
        studio_v16 start = studio_splat(bias ? bias[first + o] : 0.0f);
        for (int v = 0; v < vectors; v++) acc[o][v] = start;
    }
    const long offsets[9] = {0, 1, 2, padded_width, padded_width + 1, padded_width + 2,
                             2 * padded_width, 2 * padded_width + 1, 2 * padded_width + 2};
    for (long c = 0; c < channels; c++) {
        const float *plane = planes + c * plane_stride + f0;
        const float *taps = packed + c * 9 * outputs + first;
        for (int t = 0; t < 9; t++) {
            const float *source = plane + offsets[t];
            studio_v16 in[studio_max_tile_vectors];
            for (int v = 0; v < vectors; v++) in[v] = *(const studio_v16u *)(source + v * studio_lanes);
            const float *w = taps + t * outputs;
            for (int o = 0; o < count; o++) {
                studio_v16 weight = studio_splat(w[o]);
                for (int v = 0; v < vectors; v++) acc[o][v] = in[v] * weight + acc[o][v];
            }
        }
    }
    for (int o = 0; o < count; o++) {
        float *row = flat + (first + o) * flat_stride + f0;
        for (int v = 0; v < vectors; v++) *(studio_v16u *)(row + v * studio_lanes) = acc[o][v];
    }
}

/// Every tile of `vectors` vectors of flat positions (a constant where it is inlined).
STUDIO_AVX512 __attribute__((always_inline)) static inline void
studio_conv3x3_tiles(const float *restrict planes, long channels, long plane_stride, long padded_width,
                     const float *restrict packed, long outputs, int vectors, const float *restrict bias,
                     float *restrict flat, long flat_count) {
    for (long f0 = 0; f0 < flat_count; f0 += vectors * studio_lanes) {
        long first = 0;
        for (; first + studio_tile_outputs <= outputs; first += studio_tile_outputs) {
            studio_conv3x3_tile(planes, channels, plane_stride, padded_width, packed, outputs, first,
                                studio_tile_outputs, vectors, bias, flat, flat_count, f0);
        }
        for (; first < outputs; first++) {
            studio_conv3x3_tile(planes, channels, plane_stride, padded_width, packed, outputs, first, 1, vectors, bias,
                                flat, flat_count, f0);
        }
    }
}

/// Lanes `0 ..< n` of a vector, for n in 0...16.
STUDIO_AVX512 static inline __mmask16 studio_first_lanes(long n) {
    return n >= studio_lanes ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

/// Row `y` of a channel as padded row `y + 1` (a zero, the W scalars, a zero), with vector stores that
/// may run past the row into the next one, which is written after it.
STUDIO_AVX512 static inline void studio_pad_row(float *restrict padded, const float *restrict source, long width) {
    const long padded_width = width + 2;
    for (long k = 0; k < padded_width; k += studio_lanes) {
        // Lane i holds padded position k + i, which is source[k + i - 1] for 1 <= k + i <= W.
        __mmask16 inside = studio_first_lanes(width + 1 - k) & (k == 0 ? (__mmask16)0xFFFE : (__mmask16)0xFFFF);
        _mm512_storeu_ps(padded + k, _mm512_maskz_loadu_ps(inside, source + k - 1));
    }
}

STUDIO_AVX512 static inline void studio_zero(float *restrict target, long count) {
    for (long k = 0; k < count; k += studio_lanes) {
        _mm512_mask_storeu_ps(target + k, studio_first_lanes(count - k), _mm512_setzero_ps());
    }
}

STUDIO_AVX512 static void studio_conv3x3_avx512(const float *restrict image, long channels, long height, long width,
                                                const float *restrict packed, long outputs,
                                                const float *restrict bias, float *restrict result,
                                                float *restrict scratch) {
    const long padded_width = width + 2;
    const long plane_stride = studio_plane_stride(height, width);
    const long flat_count = studio_flat_outputs(height, width);
    float *planes = scratch;
    float *flat = scratch + channels * plane_stride;
    for (long c = 0; c < channels; c++) {
        float *plane = planes + c * plane_stride;
        studio_zero(plane, padded_width);
        for (long y = 0; y < height; y++) {
            studio_pad_row(plane + (y + 1) * padded_width, image + (c * height + y) * width, width);
        }
        studio_zero(plane + (height + 1) * padded_width, plane_stride - (height + 1) * padded_width);
    }
    if (studio_tile_vectors(height, width) == 3) {
        studio_conv3x3_tiles(planes, channels, plane_stride, padded_width, packed, outputs, 3, bias, flat, flat_count);
    } else {
        studio_conv3x3_tiles(planes, channels, plane_stride, padded_width, packed, outputs, 2, bias, flat, flat_count);
    }
    for (long o = 0; o < outputs; o++) {
        for (long y = 0; y < height; y++) {
            float *target = result + (o * height + y) * width;
            const float *source = flat + o * flat_count + y * padded_width;
            for (long k = 0; k < width; k += studio_lanes) {
                __mmask16 row = studio_first_lanes(width - k);
                _mm512_mask_storeu_ps(target + k, row, _mm512_maskz_loadu_ps(row, source + k));
            }
        }
    }
}

#endif

void studio_conv3x3(const float *image, long channels, long height, long width, const float *packed, long outputs,
                    const float *bias, float *result, float *scratch) {
#ifdef STUDIO_CONV3X3
    if (studio_avx512_available()) {
        studio_conv3x3_avx512(image, channels, height, width, packed, outputs, bias, result, scratch);
        return;
    }
#endif
    // Elsewhere the channel kernel's plain loops run the same chain of fused multiply-adds; this scratch
    // holds more than the padded planes they use.
    studio_conv_channels(image, channels, height, width, packed, outputs, 3, 3, 1, 1, 1, 1, height, width, bias, result,
                         scratch);
}

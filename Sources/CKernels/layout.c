#include "CKernels.h"

#include <string.h>

// Copies that reorder a tensor for the direct convolution kernels.

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_LAYOUT_AVX512 1
#include <immintrin.h>
#include "transpose16.h"
#include "lane_masks.h"
#define STUDIO_AVX512_LAYOUT __attribute__((target("avx512f")))
#endif

#ifdef STUDIO_LAYOUT_AVX512

/// Every padded row written once, borders included, by masked vector loads and stores, with no call per
/// row (a small image's rows are a few dozen floats).
STUDIO_AVX512_LAYOUT static void studio_pad_planes_avx512(const float *image, long channels, long height, long width,
                                                          long top, long bottom, long left, long right,
                                                          float *planes) {
    const long padded_height = height + top + bottom, padded_width = width + left + right;
    for (long c = 0; c < channels; c++) {
        float *plane = planes + c * padded_height * padded_width;
        for (long py = 0; py < padded_height; py++) {
            float *row = plane + py * padded_width;
            const long y = py - top;
            // Addresses as integers: a masked lane's column may lie outside the source row, and is never read.
            const unsigned long source = (unsigned long)(image + (c * height + (y < 0 ? 0 : y)) * width);
            const int inside_rows = y >= 0 && y < height;
            for (long k = 0; k < padded_width; k += 16) {
                const __mmask16 inside = inside_rows
                    ? (__mmask16)(studio_lanes_below(left + width - k) & ~studio_lanes_below(left - k)) : 0;
                const void *from = (const void *)(source + (k - left) * (long)sizeof(float));
                _mm512_mask_storeu_ps(row + k, studio_lanes_below(padded_width - k),
                                      _mm512_maskz_loadu_ps(inside, from));
            }
        }
    }
}

#endif

void studio_pad_planes_bordered(const float *image, long channels, long height, long width, long top, long bottom,
                                long left, long right, float *planes) {
    const long padded_height = height + top + bottom, padded_width = width + left + right;
#ifdef STUDIO_LAYOUT_AVX512
    if (studio_avx512_available()) {
        studio_pad_planes_avx512(image, channels, height, width, top, bottom, left, right, planes);
        return;
    }
#endif
    for (long c = 0; c < channels; c++) {
        float *plane = planes + c * padded_height * padded_width;
        memset(plane, 0, sizeof(float) * (size_t)(top * padded_width));
        for (long y = 0; y < height; y++) {
            float *row = plane + (top + y) * padded_width;
            for (long x = 0; x < left; x++) row[x] = 0.0f;
            memcpy(row + left, image + (c * height + y) * width, sizeof(float) * (size_t)width);
            for (long x = left + width; x < padded_width; x++) row[x] = 0.0f;
        }
        memset(plane + (top + height) * padded_width, 0, sizeof(float) * (size_t)(bottom * padded_width));
    }
}

void studio_pad_planes(const float *image, long channels, long height, long width, long pad_y, long pad_x,
                       float *planes) {
    studio_pad_planes_bordered(image, channels, height, width, pad_y, pad_y, pad_x, pad_x, planes);
}

#ifdef STUDIO_LAYOUT_AVX512

/// `destination[j][i] = source[i][j]` for a 16x16 block.
STUDIO_AVX512_LAYOUT static void studio_transpose16(const float *source, long source_stride, float *destination,
                                                    long destination_stride) {
    __m512 r[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(source + i * source_stride);
    studio_transpose16_in_registers(r);
    for (int j = 0; j < 16; j++) _mm512_storeu_ps(destination + j * destination_stride, r[j]);
}

#endif

void studio_transpose(const float *source, long rows, long columns, float *destination) {
    long row = 0;
#ifdef STUDIO_LAYOUT_AVX512
    if (studio_avx512_available()) {
        for (; row + 16 <= rows; row += 16) {
            long column = 0;
            for (; column + 16 <= columns; column += 16) {
                studio_transpose16(source + row * columns + column, columns, destination + column * rows + row, rows);
            }
            for (; column < columns; column++) {
                for (long i = row; i < row + 16; i++) destination[column * rows + i] = source[i * columns + column];
            }
        }
    }
#endif
    for (; row < rows; row++) {
        for (long column = 0; column < columns; column++) {
            destination[column * rows + row] = source[row * columns + column];
        }
    }
}

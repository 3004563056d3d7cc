#include "CKernels.h"

#include <string.h>

// Copies that reorder a tensor for the direct convolution kernels.

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_LAYOUT_AVX512 1
#include <immintrin.h>
#include "transpose16.h"
#define STUDIO_AVX512_LAYOUT __attribute__((target("avx512f")))
#endif

void studio_pad_planes(const float *image, long channels, long height, long width, long pad_y, long pad_x,
                       float *planes) {
    const long padded_height = height + 2 * pad_y, padded_width = width + 2 * pad_x;
    const size_t border_rows = sizeof(float) * (size_t)(pad_y * padded_width);
    for (long c = 0; c < channels; c++) {
        float *plane = planes + c * padded_height * padded_width;
        memset(plane, 0, border_rows);
        for (long y = 0; y < height; y++) {
            float *row = plane + (pad_y + y) * padded_width;
            for (long x = 0; x < pad_x; x++) row[x] = row[pad_x + width + x] = 0.0f;
            memcpy(row + pad_x, image + (c * height + y) * width, sizeof(float) * (size_t)width);
        }
        memset(plane + (pad_y + height) * padded_width, 0, border_rows);
    }
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

#include "CKernels.h"

// Nearest-neighbour upsampling by integer factors and its adjoint, the sum of each block, as loops the
// compiler vectorises for each instruction set (a UNet's 2x upsampling, forward and back).

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_RESAMPLE_VARIANTS __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define STUDIO_RESAMPLE_VARIANTS
#endif

STUDIO_RESAMPLE_VARIANTS
void studio_upsample_nearest(const float *restrict x, float *restrict y, long planes, long height, long width,
                             long scale_y, long scale_x) {
    const long out_width = width * scale_x;
    for (long row = 0; row < planes * height; row++) {
        const float *source = x + row * width;
        float *line = y + row * scale_y * out_width;
        for (long r = 0; r < scale_y; r++, line += out_width) {
            if (scale_x == 2) {
                for (long i = 0; i < width; i++) {
                    line[2 * i] = source[i];
                    line[2 * i + 1] = source[i];
                }
            } else {
                for (long i = 0; i < width; i++) {
                    for (long s = 0; s < scale_x; s++) line[i * scale_x + s] = source[i];
                }
            }
        }
    }
}

STUDIO_RESAMPLE_VARIANTS
void studio_block_sums(const float *restrict x, float *restrict y, long planes, long height, long width, long scale_y,
                       long scale_x) {
    const long in_width = width * scale_x;
    for (long row = 0; row < planes * height; row++) {
        const float *block = x + row * scale_y * in_width;
        float *target = y + row * width;
        if (scale_y == 2 && scale_x == 2) {
            for (long i = 0; i < width; i++) {
                target[i] = (((0.0f + block[2 * i]) + block[2 * i + 1]) + block[in_width + 2 * i])
                            + block[in_width + 2 * i + 1];
            }
            continue;
        }
        for (long i = 0; i < width; i++) {
            float total = 0;
            for (long r = 0; r < scale_y; r++) {
                for (long s = 0; s < scale_x; s++) total += block[r * in_width + i * scale_x + s];
            }
            target[i] = total;
        }
    }
}

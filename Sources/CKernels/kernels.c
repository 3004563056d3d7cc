#include "CKernels.h"

#include <stdint.h>
#include <string.h>

// Products and sums stay separate roundings, as in Swift: a fused multiply-add on one instruction set
// and not another would make results depend on the processor.
#pragma STDC FP_CONTRACT OFF

#define STUDIO_VARIANTS __attribute__((target_clones("avx512f", "arch=haswell", "default")))

/// e^x with Cephes' degree-6 polynomial on [-ln2/2, ln2/2]; the same operations as Swift's `VectorExp.exp`.
static inline float studio_exp(float x) {
    float clamped = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
    const float magic = 12582912.0f;
    float shifted = clamped * 1.44269504f + magic;
    float k = shifted - magic;
    float r = clamped - k * 0.693359375f + k * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.1665796e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.0000001e-1f;
    p = p * (r * r) + r + 1;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    uint32_t scale = (uint32_t)(bits - 0x4B400000 + 127) << 23;
    float power;
    memcpy(&power, &scale, sizeof power);
    return p * power;
}

static inline float studio_sigmoid(float x) { return 1 / (1 + studio_exp(-x)); }

STUDIO_VARIANTS
void studio_affine_silu(const float *restrict x, float *restrict y, long count, float scale, float shift) {
    for (long i = 0; i < count; i++) {
        float z = x[i] * scale + shift;
        y[i] = z * studio_sigmoid(z);
    }
}

STUDIO_VARIANTS
void studio_affine_silu_gradient(const float *restrict g, const float *restrict x, float *restrict y, long count,
                                 float scale, float shift) {
    for (long i = 0; i < count; i++) {
        float z = x[i] * scale + shift;
        float s = studio_sigmoid(z);
        y[i] = g[i] * (s * (1 + z * (1 - s)));
    }
}

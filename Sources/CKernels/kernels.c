#include "CKernels.h"

#include <stdint.h>
#include <math.h>
#include <string.h>

// Products and sums stay separate roundings, as in Swift, unless written as fmaf: a multiply-add fused
// by the compiler on one instruction set and not another would make results depend on the processor,
// while fmaf rounds once on all of them.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_VARIANTS __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
// Elsewhere (ARM, macOS) the compiler's own vector width for the target is used.
#define STUDIO_VARIANTS
#endif

/// e^x with Cephes' degree-6 polynomial on [-ln2/2, ln2/2], inputs clamped to [-87.3, 88.3]: Swift's
/// `VectorExp.exp` with fused multiply-adds, which take a third fewer instructions (GroupNorm's SiLU
/// pass ran about a quarter faster). fmaf rounds once wherever it runs (an instruction on FMA
/// processors, the C library elsewhere), so every variant still gives the same bits.
static inline float studio_exp(float x) {
    float clamped = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
    const float magic = 12582912.0f;
    float shifted = fmaf(clamped, 1.44269504f, magic);
    float k = shifted - magic;
    float r = fmaf(k, 2.1219444e-4f, fmaf(k, -0.693359375f, clamped));
    float p = 1.98756915e-4f;
    p = fmaf(p, r, 1.39819995e-3f);
    p = fmaf(p, r, 8.3334519e-3f);
    p = fmaf(p, r, 4.1665796e-2f);
    p = fmaf(p, r, 1.66666655e-1f);
    p = fmaf(p, r, 5.0000001e-1f);
    p = fmaf(p, r * r, r) + 1;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    uint32_t scale = (uint32_t)(bits - 0x4B400000 + 127) << 23;
    float power;
    memcpy(&power, &scale, sizeof power);
    return p * power;
}

static inline float studio_sigmoid(float x) { return 1 / (1 + studio_exp(-x)); }

/// log(w) for w in [1, 2] with Cephes' logf: w = 2^e·f, f in [sqrt(1/2), sqrt(2)), and a degree-8
/// polynomial in f - 1.
static inline float studio_log_1_2(float w) {
    int big = w > 1.41421356f;
    float e = big ? 1.0f : 0.0f;
    float x = (big ? w * 0.5f : w) - 1;
    float z = x * x;
    float y = 7.0376836292e-2f;
    y = y * x - 1.1514610310e-1f;
    y = y * x + 1.1676998740e-1f;
    y = y * x - 1.2420140846e-1f;
    y = y * x + 1.4249322787e-1f;
    y = y * x - 1.6668057665e-1f;
    y = y * x + 2.0000714765e-1f;
    y = y * x - 2.4999993993e-1f;
    y = y * x + 3.3333331174e-1f;
    y = y * x * z;
    y = y + e * -2.12194440e-4f;
    y = y - 0.5f * z;
    return x + y + e * 0.693359375f;
}

/// log(1 + u) for u in [0, 1]: log(w)·u / (w - 1) with w = 1 + u rounded, which cancels the rounding
/// of w (Goldberg's correction), and u itself where w rounds to 1.
static inline float studio_log1p_unit(float u) {
    float w = 1 + u;
    float d = w - 1;
    return d == 0 ? u : studio_log_1_2(w) * (u / d);
}

STUDIO_VARIANTS
void studio_affine_silu(const float *restrict x, float *restrict y, long count, float scale, float shift) {
    for (long i = 0; i < count; i++) {
        float z = fmaf(x[i], scale, shift);
        y[i] = z / (1 + studio_exp(-z));
    }
}

STUDIO_VARIANTS
void studio_channel_affine(const float *restrict x, float *restrict y, long count, float scale, float shift) {
    for (long i = 0; i < count; i++) y[i] = x[i] * scale + shift;
}

STUDIO_VARIANTS
void studio_channel_input_gradient(const float *restrict g, const float *restrict x, float *restrict y, long count,
                                   float a, float k1, float k0) {
    for (long i = 0; i < count; i++) y[i] = a * g[i] + k1 * x[i] + k0;
}

STUDIO_VARIANTS
void studio_softmax_rows(const float *restrict x, float *restrict y, long rows, long width) {
    enum { lanes = 16 };
    for (long r = 0; r < rows; r++) {
        const float *in = x + r * width;
        float *out = y + r * width;
        // Sixteen running maxima and sums, one per lane of a block of sixteen positions, combined in a
        // fixed tree: the vector loops need no reordering, so every variant gives the same bits.
        float peaks[lanes], sums[lanes];
        for (int l = 0; l < lanes; l++) {
            peaks[l] = -INFINITY;
            sums[l] = 0;
        }
        long j = 0;
        for (; j + lanes <= width; j += lanes) {
            for (int l = 0; l < lanes; l++) peaks[l] = in[j + l] > peaks[l] ? in[j + l] : peaks[l];
        }
        for (int l = 0; j + l < width; l++) peaks[l] = in[j + l] > peaks[l] ? in[j + l] : peaks[l];
        for (int half = lanes / 2; half > 0; half /= 2) {
            for (int l = 0; l < half; l++) peaks[l] = peaks[l + half] > peaks[l] ? peaks[l + half] : peaks[l];
        }
        const float peak = isfinite(peaks[0]) ? peaks[0] : 0;
        // Below e^-87.3, which studio_exp clamps to, a weight is zero, as it is for a logit of -infinity.
        for (long k = 0; k < width; k++) {
            const float shifted = in[k] - peak;
            out[k] = shifted < -87.3f ? 0.0f : studio_exp(shifted);
        }
        for (j = 0; j + lanes <= width; j += lanes) {
            for (int l = 0; l < lanes; l++) sums[l] += out[j + l];
        }
        for (int l = 0; j + l < width; l++) sums[l] += out[j + l];
        for (int half = lanes / 2; half > 0; half /= 2) {
            for (int l = 0; l < half; l++) sums[l] += sums[l + half];
        }
        const float scale = 1 / sums[0];
        for (long k = 0; k < width; k++) out[k] *= scale;
    }
}

STUDIO_VARIANTS
void studio_softplus(const float *restrict x, float *restrict y, long count) {
    for (long i = 0; i < count; i++) {
        float v = x[i];
        float magnitude = v < 0 ? -v : v;
        y[i] = (v > 0 ? v : 0) + studio_log1p_unit(studio_exp(-magnitude));
    }
}

STUDIO_VARIANTS
void studio_softplus_gradient(const float *restrict g, const float *restrict x, float *restrict y, long count) {
    for (long i = 0; i < count; i++) y[i] = g[i] * studio_sigmoid(x[i]);
}

STUDIO_VARIANTS
void studio_adam(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, long count,
                 float beta1, float beta2, float keep1, float keep2, float eps, float step, float correction2_root,
                 float l2_decay, float decoupled_decay, float shrink) {
    for (long i = 0; i < count; i++) {
        float value = p[i];
        if (decoupled_decay != 0) value = value * shrink;
        float gradient = g[i];
        if (l2_decay != 0) gradient = gradient + l2_decay * value;
        float first = m[i] * beta1 + keep1 * gradient;
        float second = v[i] * beta2 + keep2 * gradient * gradient;
        m[i] = first;
        v[i] = second;
        float denominator = sqrtf(second) / correction2_root + eps;
        p[i] = value + step * first / denominator;
    }
}

void studio_pause(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

const char *studio_blas_core_for_features(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd")) {
        return "SkylakeX";
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return 0;
}

STUDIO_VARIANTS
void studio_sum_strided(const float *restrict source, long rows, long stride, long count, float *restrict sums) {
    enum { block = 64 };
    for (long start = 0; start < count; start += block) {
        const long width = count - start < block ? count - start : block;
        float partial[block];
        for (long i = 0; i < width; i++) partial[i] = 0.0f;
        for (long row = 0; row < rows; row++) {
            const float *line = source + row * stride + start;
            for (long i = 0; i < width; i++) partial[i] += line[i];
        }
        for (long i = 0; i < width; i++) sums[start + i] = partial[i];
    }
}

enum { studio_moment_lanes = 16 };

/// Adds the sixteen partial sums of each in a fixed tree to `*first` and `*second`.
static void studio_add_moments(double *u, double *v, double *first, double *second) {
    for (int width = studio_moment_lanes / 2; width >= 1; width /= 2) {
        for (int l = 0; l < width; l++) {
            u[l] = u[l] + u[l + width];
            v[l] = v[l] + v[l + width];
        }
    }
    *first += u[0];
    *second += v[0];
}

STUDIO_VARIANTS
void studio_shifted_moments(const float *restrict a, long count, double center, double *restrict first,
                            double *restrict second) {
    // Sixteen independent chains: with four, the dependent additions held GroupNorm's statistics to
    // about one scalar a cycle, 5% of DDIM sampling.
    double u[studio_moment_lanes] = {0}, v[studio_moment_lanes] = {0};
    long i = 0;
    for (; i + studio_moment_lanes <= count; i += studio_moment_lanes) {
        for (int l = 0; l < studio_moment_lanes; l++) {
            double d = (double)a[i + l] - center;
            u[l] += d;
            v[l] += d * d;
        }
    }
    for (int l = 0; i < count; i++, l++) {
        double d = (double)a[i] - center;
        u[l] += d;
        v[l] += d * d;
    }
    studio_add_moments(u, v, first, second);
}

STUDIO_VARIANTS
void studio_gradient_moments(const float *restrict g, const float *restrict x, long count, double mean,
                             double *restrict first, double *restrict second) {
    double u[studio_moment_lanes] = {0}, v[studio_moment_lanes] = {0};
    long i = 0;
    for (; i + studio_moment_lanes <= count; i += studio_moment_lanes) {
        for (int l = 0; l < studio_moment_lanes; l++) {
            double gd = (double)g[i + l];
            u[l] += gd;
            v[l] += gd * ((double)x[i + l] - mean);
        }
    }
    for (int l = 0; i < count; i++, l++) {
        double gd = (double)g[i];
        u[l] += gd;
        v[l] += gd * ((double)x[i] - mean);
    }
    studio_add_moments(u, v, first, second);
}

/// The SiLU pullback at x[i]·scale + shift times g[i].
static inline float studio_affine_silu_gradient_at(const float *restrict g, const float *restrict x, long i,
                                                   float scale, float shift) {
    float z = fmaf(x[i], scale, shift);
    float s = studio_sigmoid(z);
    return g[i] * (s * fmaf(z, 1 - s, 1));
}

STUDIO_VARIANTS
void studio_affine_silu_gradient_moments(const float *restrict g, const float *restrict x, float *restrict y,
                                         long count, float scale, float shift, double mean, double *restrict first,
                                         double *restrict second) {
    double u[studio_moment_lanes] = {0}, v[studio_moment_lanes] = {0};
    long i = 0;
    // A block's gradients first, then its sums from them: as one loop the compiler vectorised neither.
    for (; i + studio_moment_lanes <= count; i += studio_moment_lanes) {
        for (int l = 0; l < studio_moment_lanes; l++) {
            y[i + l] = studio_affine_silu_gradient_at(g, x, i + l, scale, shift);
        }
        for (int l = 0; l < studio_moment_lanes; l++) {
            double gd = (double)y[i + l];
            u[l] += gd;
            v[l] += gd * ((double)x[i + l] - mean);
        }
    }
    for (int l = 0; i < count; i++, l++) {
        y[i] = studio_affine_silu_gradient_at(g, x, i, scale, shift);
        double gd = (double)y[i];
        u[l] += gd;
        v[l] += gd * ((double)x[i] - mean);
    }
    studio_add_moments(u, v, first, second);
}

STUDIO_VARIANTS
void studio_add_into(float *restrict target, const float *restrict addend, long count) {
    for (long i = 0; i < count; i++) target[i] += addend[i];
}

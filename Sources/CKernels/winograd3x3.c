#include "CKernels.h"

// A 3x3, stride-1, padding-1 convolution by Winograd's minimal filtering F(2x2, 3x3).
//
// Each 2x2 block of outputs ("tile") is A^T [(G g G^T) ⊙ (B^T d B)] A, where d is the 4x4 patch of the
// zero-bordered input under it and g a 3x3 kernel: 16 products per tile, channel and output instead of
// the 36 of the direct sum, paid for by the input and output transforms.
//
// A call takes up to sixteen images, one per vector lane: they are transposed into planes of vectors
// (pixel by pixel, the sixteen images' values side by side), so that every transform and product is
// whole-vector arithmetic whatever the image width. Each of the 16 products is a matrix product over
// channels, [outputs x channels] · [channels x tiles], computed like conv3x3.c's kernel: eight outputs by
// up to three tiles (of sixteen images) of accumulators, one broadcast weight times a vector per channel.
// A lane's arithmetic never depends on the other lanes, so how images are grouped changes no bits.

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_WINOGRAD 1
#include <immintrin.h>
#include "transpose16.h"
#include "lane_masks.h"
#endif

/// Lanes (images per call), tiles per chunk of the products, and the register tile of a product: eight
/// outputs by up to three tiles.
enum { studio_wino_lanes = 16, studio_wino_chunk = 6, studio_wino_outputs = 8, studio_wino_max_tiles = 3 };

static long studio_wino_across(long width) { return (width + 1) / 2; }
static long studio_wino_down(long height) { return (height + 1) / 2; }

/// Tile rows per band: the band's zero-bordered input rows, 2·band + 2 of them for every channel, fill
/// about 256 KiB, so that they are still in cache when the transforms read them.
static long studio_wino_band(long channels, long width) {
    const long row = channels * (2 * studio_wino_across(width) + 2) * studio_wino_lanes * (long)sizeof(float);
    const long band = (262144 / row - 2) / 2;
    return band < 1 ? 1 : band;
}

long studio_winograd3x3_scratch_count(long channels, long height, long width, long outputs) {
    const long across = studio_wino_across(width), band = studio_wino_band(channels, width);
    const long planes = channels * (2 * band + 2) * (2 * across + 2);
    const long products = 16 * ((channels + outputs) * studio_wino_chunk + 2);
    const long results = outputs * (2 * band) * (2 * across);
    (void)height;
    return (planes + products + results) * studio_wino_lanes;
}

void studio_winograd3x3_pack(const float *weight, long outputs, long channels, int transposed, float *packed) {
    // The kernel maps `ins` channels to `outs`; transposed, it is the flipped kernel with the axes swapped.
    const long outs = transposed ? channels : outputs, ins = transposed ? outputs : channels;
    for (long o = 0; o < outputs; o++) {
        for (long c = 0; c < channels; c++) {
            const float *w = weight + (o * channels + c) * 9;
            float g[3][3];
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++) g[y][x] = transposed ? w[(2 - y) * 3 + (2 - x)] : w[y * 3 + x];
            // G g, with G's rows (1, 0, 0), (1, 1, 1) / 2, (1, -1, 1) / 2, (0, 0, 1); then (G g) G^T.
            float gg[4][3];
            for (int x = 0; x < 3; x++) {
                gg[0][x] = g[0][x];
                gg[1][x] = 0.5f * (g[0][x] + g[1][x] + g[2][x]);
                gg[2][x] = 0.5f * (g[0][x] - g[1][x] + g[2][x]);
                gg[3][x] = g[2][x];
            }
            const long in = transposed ? o : c, out = transposed ? c : o;
            for (int i = 0; i < 4; i++) {
                const float u[4] = {gg[i][0], 0.5f * (gg[i][0] + gg[i][1] + gg[i][2]),
                                    0.5f * (gg[i][0] - gg[i][1] + gg[i][2]), gg[i][2]};
                for (int j = 0; j < 4; j++) packed[((i * 4 + j) * ins + in) * outs + out] = u[j];
            }
        }
    }
}

#ifdef STUDIO_WINOGRAD

#define STUDIO_WINO_AVX512 __attribute__((target("avx512f,fma")))

/// One call's sizes and buffers, all of vectors of sixteen lanes: a ring of zero-bordered input rows
/// `[channels][ring][2·across + 2]` (padded row `py` in slot `py % ring`), a chunk's transformed inputs
/// `v` `[16][channels][chunk]` and products `m` `[16][outputs][chunk]`, and a band's results `y`
/// `[outputs][2·band][2·across]`.
struct studio_wino {
    long channels, outputs, height, width, across, down, plane_width, band, ring;
    /// Floats from one product's matrix to the next in `v` and in `m`: a vector more than the matrix, so
    /// that the sixteen are not a multiple of 4 KiB apart, which would make their loads and stores alias.
    long v_stride, m_stride;
    const float *packed;
    const float *bias;
    float *planes, *v, *m, *y;
};

/// Padded row `py` of every channel of the images `[count][channels][height][width]`, into its ring slot.
STUDIO_WINO_AVX512 static void studio_wino_load(const struct studio_wino *w, const float *images, long count, long py) {
    const long image = w->channels * w->height * w->width;
    const __m512 zero = _mm512_setzero_ps();
    for (long c = 0; c < w->channels; c++) {
        float *row = w->planes + (c * w->ring + py % w->ring) * w->plane_width * studio_wino_lanes;
        if (py == 0 || py > w->height) {
            for (long px = 0; px < w->plane_width; px++) _mm512_storeu_ps(row + px * studio_wino_lanes, zero);
            continue;
        }
        _mm512_storeu_ps(row, zero);
        for (long px = w->width + 1; px < w->plane_width; px++) _mm512_storeu_ps(row + px * studio_wino_lanes, zero);
        const float *source = images + (c * w->height + py - 1) * w->width;
        for (long x0 = 0; x0 < w->width; x0 += studio_wino_lanes) {
            const __mmask16 inside = studio_lanes_below(w->width - x0);
            __m512 r[16];
            for (long n = 0; n < studio_wino_lanes; n++)
                r[n] = n < count ? _mm512_maskz_loadu_ps(inside, source + n * image + x0) : zero;
            studio_transpose16_in_registers(r);
            const long columns = w->width - x0 < studio_wino_lanes ? w->width - x0 : studio_wino_lanes;
            // Unrolled with a test per column: as a plain loop the compiler spilled r and called memcpy,
            // 1-2% of DDIM sampling.
            _Pragma("clang loop unroll(full)") for (int j = 0; j < studio_wino_lanes; j++)
                if (j < columns) _mm512_storeu_ps(row + (x0 + j + 1) * studio_wino_lanes, r[j]);
        }
    }
}

/// B^T d B of tile `tile` for every channel, into chunk slot `slot` of `v`.
STUDIO_WINO_AVX512 static void studio_wino_input(const struct studio_wino *w, long tile, long slot) {
    const long ty = tile / w->across, tx = tile % w->across;
    const long row = w->plane_width * studio_wino_lanes, stride = w->v_stride;
    long rows[4];
    for (int r = 0; r < 4; r++) rows[r] = (2 * ty + r) % w->ring * row;
    for (long c = 0; c < w->channels; c++) {
        const float *plane = w->planes + (c * w->ring * w->plane_width + 2 * tx) * studio_wino_lanes;
        __m512 q[4][4];
        for (int r = 0; r < 4; r++) {
            const float *p = plane + rows[r];
            __m512 d0 = _mm512_loadu_ps(p), d1 = _mm512_loadu_ps(p + 16);
            __m512 d2 = _mm512_loadu_ps(p + 32), d3 = _mm512_loadu_ps(p + 48);
            q[r][0] = _mm512_sub_ps(d0, d2);
            q[r][1] = _mm512_add_ps(d1, d2);
            q[r][2] = _mm512_sub_ps(d2, d1);
            q[r][3] = _mm512_sub_ps(d1, d3);
        }
        float *target = w->v + (c * studio_wino_chunk + slot) * studio_wino_lanes;
        for (int j = 0; j < 4; j++) {
            _mm512_storeu_ps(target + (0 * 4 + j) * stride, _mm512_sub_ps(q[0][j], q[2][j]));
            _mm512_storeu_ps(target + (1 * 4 + j) * stride, _mm512_add_ps(q[1][j], q[2][j]));
            _mm512_storeu_ps(target + (2 * 4 + j) * stride, _mm512_sub_ps(q[2][j], q[1][j]));
            _mm512_storeu_ps(target + (3 * 4 + j) * stride, _mm512_sub_ps(q[1][j], q[3][j]));
        }
    }
}

/// A^T m A (+ bias) of chunk slot `slot` for every output, into tile `tile` of `y`, whose band starts at
/// tile row `first_row`.
STUDIO_WINO_AVX512 static void studio_wino_output(const struct studio_wino *w, long tile, long slot, long first_row) {
    const long ty = tile / w->across - first_row, tx = tile % w->across, width = 2 * w->across;
    const long stride = w->m_stride;
    for (long o = 0; o < w->outputs; o++) {
        const float *source = w->m + (o * studio_wino_chunk + slot) * studio_wino_lanes;
        __m512 t[2][4];
        for (int j = 0; j < 4; j++) {
            __m512 m0 = _mm512_loadu_ps(source + (0 * 4 + j) * stride), m1 = _mm512_loadu_ps(source + (1 * 4 + j) * stride);
            __m512 m2 = _mm512_loadu_ps(source + (2 * 4 + j) * stride), m3 = _mm512_loadu_ps(source + (3 * 4 + j) * stride);
            t[0][j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
            t[1][j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
        }
        const __m512 shift = _mm512_set1_ps(w->bias ? w->bias[o] : 0.0f);
        float *target = w->y + ((o * 2 * w->band + 2 * ty) * width + 2 * tx) * studio_wino_lanes;
        for (int a = 0; a < 2; a++) {
            float *row = target + a * width * studio_wino_lanes;
            _mm512_storeu_ps(row, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(t[a][0], t[a][1]), t[a][2]), shift));
            _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(t[a][1], t[a][2]), t[a][3]), shift));
        }
    }
}

/// Outputs `first ..< first + count` (count <= 8) by chunk slots `slot ..< slot + tiles` (tiles <= 3) of
/// product `xi`; both counts are constants where it is inlined.
STUDIO_WINO_AVX512 __attribute__((always_inline)) static inline void
studio_wino_block(const struct studio_wino *w, long xi, long first, int count, long slot, int tiles) {
    __m512 acc[studio_wino_outputs][studio_wino_max_tiles];
    for (int o = 0; o < count; o++)
        for (int k = 0; k < tiles; k++) acc[o][k] = _mm512_setzero_ps();
    const float *v = w->v + xi * w->v_stride + slot * studio_wino_lanes;
    const float *u = w->packed + xi * w->channels * w->outputs + first;
    for (long c = 0; c < w->channels; c++) {
        __m512 in[studio_wino_max_tiles];
        for (int k = 0; k < tiles; k++) in[k] = _mm512_loadu_ps(v + k * studio_wino_lanes);
        for (int o = 0; o < count; o++) {
            __m512 weight = _mm512_set1_ps(u[o]);
            for (int k = 0; k < tiles; k++) acc[o][k] = _mm512_fmadd_ps(in[k], weight, acc[o][k]);
        }
        v += studio_wino_chunk * studio_wino_lanes;
        u += w->outputs;
    }
    float *m = w->m + xi * w->m_stride + (first * studio_wino_chunk + slot) * studio_wino_lanes;
    for (int o = 0; o < count; o++)
        for (int k = 0; k < tiles; k++)
            _mm512_storeu_ps(m + (o * studio_wino_chunk + k) * studio_wino_lanes, acc[o][k]);
}

STUDIO_WINO_AVX512 __attribute__((always_inline)) static inline void
studio_wino_blocks(const struct studio_wino *w, long xi, long slot, int tiles) {
    long first = 0;
    for (; first + studio_wino_outputs <= w->outputs; first += studio_wino_outputs)
        studio_wino_block(w, xi, first, studio_wino_outputs, slot, tiles);
    for (; first < w->outputs; first++) studio_wino_block(w, xi, first, 1, slot, tiles);
}

/// The 16 products of chunk slots `0 ..< tiles`.
STUDIO_WINO_AVX512 static void studio_wino_products(const struct studio_wino *w, long tiles) {
    for (long xi = 0; xi < 16; xi++) {
        long slot = 0;
        for (; slot + 3 <= tiles; slot += 3) studio_wino_blocks(w, xi, slot, 3);
        if (tiles - slot == 2) studio_wino_blocks(w, xi, slot, 2);
        if (tiles - slot == 1) studio_wino_blocks(w, xi, slot, 1);
    }
}

/// Output rows `y0 ..< y1` from `y`, whose band starts at row `y0`, cropped to the images' width, into
/// `result[count][outputs][height][width]`.
STUDIO_WINO_AVX512 static void studio_wino_store(const struct studio_wino *w, float *result, long count, long y0, long y1) {
    const long image = w->outputs * w->height * w->width, width = 2 * w->across;
    for (long o = 0; o < w->outputs; o++) {
        for (long y = y0; y < y1; y++) {
            const float *row = w->y + (o * 2 * w->band + y - y0) * width * studio_wino_lanes;
            float *target = result + (o * w->height + y) * w->width;
            for (long x0 = 0; x0 < w->width; x0 += studio_wino_lanes) {
                __m512 r[16];
                for (long j = 0; j < studio_wino_lanes; j++)
                    r[j] = x0 + j < width ? _mm512_loadu_ps(row + (x0 + j) * studio_wino_lanes) : _mm512_setzero_ps();
                studio_transpose16_in_registers(r);
                const __mmask16 inside = studio_lanes_below(w->width - x0);
                for (long n = 0; n < count; n++) _mm512_mask_storeu_ps(target + n * image + x0, inside, r[n]);
            }
        }
    }
}

STUDIO_WINO_AVX512 static void studio_winograd3x3_avx512(const float *images, long count, long channels, long height,
                                                         long width, const float *packed, long outputs,
                                                         const float *bias, float *result, float *scratch) {
    struct studio_wino w = {
        .channels = channels, .outputs = outputs, .height = height, .width = width,
        .across = studio_wino_across(width), .down = studio_wino_down(height),
        .plane_width = 2 * studio_wino_across(width) + 2, .band = studio_wino_band(channels, width),
        .packed = packed, .bias = bias,
    };
    w.ring = 2 * w.band + 2;
    w.planes = scratch;
    w.v_stride = (channels * studio_wino_chunk + 1) * studio_wino_lanes;
    w.m_stride = (outputs * studio_wino_chunk + 1) * studio_wino_lanes;
    w.v = w.planes + channels * w.ring * w.plane_width * studio_wino_lanes;
    w.m = w.v + 16 * w.v_stride;
    w.y = w.m + 16 * w.m_stride;
    for (long first_row = 0; first_row < w.down; first_row += w.band) {
        const long end_row = first_row + w.band < w.down ? first_row + w.band : w.down;
        // The band's padded rows 2·first_row ..< 2·end_row + 2; the previous band loaded the first two.
        for (long py = first_row == 0 ? 0 : 2 * first_row + 2; py < 2 * end_row + 2; py++)
            studio_wino_load(&w, images, count, py);
        const long end = end_row * w.across;
        for (long first = first_row * w.across; first < end; first += studio_wino_chunk) {
            const long chunk = end - first < studio_wino_chunk ? end - first : studio_wino_chunk;
            for (long slot = 0; slot < chunk; slot++) studio_wino_input(&w, first + slot, slot);
            studio_wino_products(&w, chunk);
            for (long slot = 0; slot < chunk; slot++) studio_wino_output(&w, first + slot, slot, first_row);
        }
        studio_wino_store(&w, result, count, 2 * first_row, 2 * end_row < height ? 2 * end_row : height);
    }
}

#endif

int studio_winograd3x3(const float *images, long count, long channels, long height, long width, const float *packed,
                       long outputs, const float *bias, float *result, float *scratch) {
#ifdef STUDIO_WINOGRAD
    if (studio_avx512_available() && count >= 1 && count <= studio_wino_lanes) {
        studio_winograd3x3_avx512(images, count, channels, height, width, packed, outputs, bias, result, scratch);
        return 1;
    }
#endif
    return 0;
}

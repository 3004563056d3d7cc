#include "CKernels.h"
#include "conv_channels_work.h"

// A transposed convolution with stride s, as s_y·s_x stride-1 convolutions of the input, one per phase of
// the output (the pixels whose coordinates are congruent mod the stride): output pixel y gets tap ky from
// input row (y + pad - ky) / s when that divides, so a phase reads every s-th tap of the kernel. Each phase
// runs the tiles above on its sub-kernel, without the im2col-sized matrix that a GEMM followed by col2im
// writes and scatters, and without the zero taps of a convolution of the zero-stuffed input.

/// One phase along one axis: its sub-kernel's taps (every `stride`-th, from `last_tap` down), the
/// input offset of its first tap (`-front`), and how many output pixels it covers.
struct studio_axis_phase {
    long taps, last_tap, front, count;
};

static struct studio_axis_phase studio_phase(long phase, long kernel, long stride, long pad, long output_size) {
    struct studio_axis_phase result = {0, 0, 0, 0};
    const long residue = (phase + pad) % stride;
    if (residue < kernel) {
        result.taps = (kernel - 1 - residue) / stride + 1;
        result.last_tap = residue + (result.taps - 1) * stride;
        result.front = (result.last_tap - phase - pad) / stride;
    }
    result.count = phase < output_size ? (output_size - phase + stride - 1) / stride : 0;
    return result;
}

/// The zero border before and after the input along one axis that every phase's reads stay within.
static void studio_phase_borders(long size, long kernel, long stride, long pad, long output_size, long *before,
                                 long *after) {
    *before = 0;
    *after = 0;
    for (long phase = 0; phase < stride; phase++) {
        struct studio_axis_phase p = studio_phase(phase, kernel, stride, pad, output_size);
        if (p.taps == 0 || p.count == 0) continue;
        if (p.front > *before) *before = p.front;
        const long beyond = (p.count - 1) + (p.taps - 1) - p.front - (size - 1);
        if (beyond > *after) *after = beyond;
    }
}

void studio_conv_pack_phases(const float *weight, long channels, long outputs, long kernel_height, long kernel_width,
                             long stride_y, long stride_x, long pad_y, long pad_x, float *packed) {
    for (long phase_y = 0; phase_y < stride_y; phase_y++) {
        const struct studio_axis_phase py = studio_phase(phase_y, kernel_height, stride_y, pad_y, stride_y);
        for (long phase_x = 0; phase_x < stride_x; phase_x++) {
            const struct studio_axis_phase px = studio_phase(phase_x, kernel_width, stride_x, pad_x, stride_x);
            for (long c = 0; c < channels; c++) {
                for (long a = 0; a < py.taps; a++) {
                    for (long b = 0; b < px.taps; b++) {
                        const long ky = py.last_tap - a * stride_y, kx = px.last_tap - b * stride_x;
                        for (long o = 0; o < outputs; o++) {
                            packed[((c * py.taps + a) * px.taps + b) * outputs + o] =
                                weight[((c * outputs + o) * kernel_height + ky) * kernel_width + kx];
                        }
                    }
                }
            }
            packed += channels * py.taps * px.taps * outputs;
        }
    }
}

long studio_conv_transposed_scratch_count(long channels, long height, long width, long kernel_height,
                                          long kernel_width, long stride_y, long stride_x, long pad_y, long pad_x,
                                          long outputs, long output_height, long output_width) {
    long before_y, after_y, before_x, after_x;
    studio_phase_borders(height, kernel_height, stride_y, pad_y, output_height, &before_y, &after_y);
    studio_phase_borders(width, kernel_width, stride_x, pad_x, output_width, &before_x, &after_x);
    const long phase_pixels = ((output_height + stride_y - 1) / stride_y) * ((output_width + stride_x - 1) / stride_x);
    return channels * (height + before_y + after_y) * (width + before_x + after_x) + phase_pixels * outputs;
}

#ifdef STUDIO_CONV_CHANNELS

/// Moves `partial[pixel][outputs]`, for pixels on a `rows` x `columns` grid, to
/// `result[o·result_plane + row·row_step + column·column_step]`.
static void studio_scatter_partial(const float *restrict partial, long outputs, long rows, long columns,
                                   float *restrict result, long result_plane, long row_step, long column_step) {
    for (long o = 0; o < outputs; o++) {
        for (long row = 0; row < rows; row++) {
            for (long column = 0; column < columns; column++) {
                result[o * result_plane + row * row_step + column * column_step] =
                    partial[(row * columns + column) * outputs + o];
            }
        }
    }
}

#endif

int studio_conv_transposed(const float *image, long channels, long height, long width, const float *packed,
                           long outputs, long kernel_height, long kernel_width, long stride_y, long stride_x,
                           long pad_y, long pad_x, long output_height, long output_width, const float *bias,
                           float *result, float *scratch) {
#ifdef STUDIO_CONV_CHANNELS
    if (outputs % studio_channel_lanes != 0 || !studio_avx512_available()) return 0;
    long before_y, after_y, before_x, after_x;
    studio_phase_borders(height, kernel_height, stride_y, pad_y, output_height, &before_y, &after_y);
    studio_phase_borders(width, kernel_width, stride_x, pad_x, output_width, &before_x, &after_x);
    const long padded_height = height + before_y + after_y, padded_width = width + before_x + after_x;
    const long plane_size = padded_height * padded_width;
    float *partial = scratch + channels * plane_size;
    // Each phase is a stride-1 sum over the image. Where row tiles cover every phase (a DCGAN's 7x7 ->
    // 14x14 layer), they read the image in place; otherwise all read zero-bordered planes.
    int in_place = 1;
    for (long phase = 0; phase < stride_y * stride_x; phase++) {
        const long phase_y = phase / stride_x, phase_x = phase % stride_x;
        const struct studio_axis_phase py = studio_phase(phase_y, kernel_height, stride_y, pad_y, output_height);
        const struct studio_axis_phase px = studio_phase(phase_x, kernel_width, stride_x, pad_x, output_width);
        const struct studio_channel_work shape = {
            .kernel_height = py.taps, .kernel_width = px.taps, .stride_x = 1, .output_width = px.count,
            .width = width, .pad_x = px.front, .outputs = outputs,
        };
        if (py.count > 0 && px.count > 0 && !studio_conv_channels_rows_cover(&shape)) in_place = 0;
    }
    if (!in_place) {
        studio_pad_planes_bordered(image, channels, height, width, before_y, after_y, before_x, after_x, scratch);
    }
    for (long phase_y = 0; phase_y < stride_y; phase_y++) {
        const struct studio_axis_phase py = studio_phase(phase_y, kernel_height, stride_y, pad_y, output_height);
        for (long phase_x = 0; phase_x < stride_x; phase_x++) {
            const struct studio_axis_phase px = studio_phase(phase_x, kernel_width, stride_x, pad_x, output_width);
            if (py.count > 0 && px.count > 0) {
                struct studio_channel_work work = {
                    .planes = in_place ? image : scratch + (before_y - py.front) * padded_width + (before_x - px.front),
                    .plane_size = in_place ? height * width : plane_size,
                    .padded_width = in_place ? width : padded_width, .in_place = in_place,
                    .kernel_height = py.taps, .kernel_width = px.taps, .stride_y = 1, .stride_x = 1,
                    .output_width = px.count, .output_plane = py.count * px.count, .height = height, .width = width,
                    .pad_x = px.front,
                    .pad_y = py.front, .packed = packed, .outputs = outputs, .bias = bias, .partial = partial,
                };
                studio_conv_channels_sum(work, channels);
                studio_scatter_partial(partial, outputs, py.count, px.count, result + phase_y * output_width + phase_x,
                                       output_height * output_width, stride_y * output_width, stride_x);
            }
            packed += channels * py.taps * px.taps * outputs;
        }
    }
    return 1;
#else
    (void)image; (void)channels; (void)height; (void)width; (void)packed; (void)outputs; (void)kernel_height;
    (void)kernel_width; (void)stride_y; (void)stride_x; (void)pad_y; (void)pad_x; (void)output_height;
    (void)output_width; (void)bias; (void)result; (void)scratch;
    return 0;
#endif
}

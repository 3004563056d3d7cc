// What the channel-vectorised kernels share between conv_channels.c and conv_transposed.c.

#ifndef STUDIO_CONV_CHANNELS_WORK_H
#define STUDIO_CONV_CHANNELS_WORK_H

#if defined(__x86_64__) && defined(__linux__)
#define STUDIO_CONV_CHANNELS 1
#include <immintrin.h>
#endif

/// Output channels per vector. The largest tiles hold 20 accumulators (5, 10 or 20 output pixels by four, two
/// or one vector of output channels), which with the four weight vectors and a broadcast stay within
/// AVX-512's 32 registers.
enum { studio_channel_lanes = 16 };

#ifdef STUDIO_CONV_CHANNELS

#define STUDIO_AVX512_CHANNELS __attribute__((target("avx512f,fma")))

/// Where a tile works: the padded planes of channels `first_channel ..< end_channel`, the packed weights,
/// and `partial[pixel][outputs]`, which carries each output's running sum from one block of channels to
/// the next (so the weights of one block stay in cache across every tile of the image). With `in_place`
/// the planes are the image itself, `plane_size` H·W and `padded_width` W: only row tiles read that way.
struct studio_channel_work {
    const float *planes;
    long plane_size, padded_width, kernel_height, kernel_width, stride_y, stride_x, output_width, output_plane;
    long height, width, pad_y, pad_x;
    int in_place;
    const float *packed;
    long outputs, first_channel, end_channel;
    const float *bias;
    float *partial;
};

/// Whether whole-row tiles, which read the image in place, cover every output of the work: its shape of
/// row has them and its outputs are a multiple of 16.
STUDIO_AVX512_CHANNELS int studio_conv_channels_rows_cover(const struct studio_channel_work *work);

/// Sums the work's whole image into `partial[pixel][outputs]`, one block of channels after another.
STUDIO_AVX512_CHANNELS void studio_conv_channels_sum(struct studio_channel_work work, long channels);

#endif

#endif

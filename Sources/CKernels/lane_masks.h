// Lane masks shared by the AVX-512 kernels. Include after <immintrin.h>, on x86-64 only.

#ifndef STUDIO_LANE_MASKS_H
#define STUDIO_LANE_MASKS_H

/// Lanes `0 ..< n` of a 16-lane vector: none for n <= 0, all for n >= 16.
static inline __mmask16 studio_lanes_below(long n) {
    return n <= 0 ? (__mmask16)0 : n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

#endif

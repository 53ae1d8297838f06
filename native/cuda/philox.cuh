// Philox4x32-10 Gaussian sketch numbers, a line-for-line mirror of
// java/src/main/java/dev/sculpt/linalg/Philox.java so that the GPU sketch is bit-identical to the CPU one.
// Only correctly rounded IEEE double operations (+, -, *, /, sqrt) are used, and every translation unit that
// includes this file must be compiled without FMA contraction (nvcc -fmad=false, host -ffp-contract=off):
// a fused multiply-add rounds once where Java rounds twice.
#ifndef SCULPT_PHILOX_CUH
#define SCULPT_PHILOX_CUH

#include <stdint.h>
#include <string.h>
#include <math.h>

#ifdef __CUDACC__
#define SCULPT_HD __host__ __device__ __forceinline__
#else
#define SCULPT_HD inline
#endif

namespace sculpt_philox {

static const uint32_t M0 = 0xD2511F53u;
static const uint32_t M1 = 0xCD9E8D57u;
static const uint32_t W0 = 0x9E3779B9u;
static const uint32_t W1 = 0xBB67AE85u;

#define SCULPT_TWO_POW_M53 1.1102230246251565e-16
#define SCULPT_LN2 0.6931471805599453
#define SCULPT_HALF_PI 1.5707963267948966

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1), written into out (4 words). */
SCULPT_HD void block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1, uint32_t out[4]) {
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t) M0 * (uint64_t) c0;
        uint64_t p1 = (uint64_t) M1 * (uint64_t) c2;
        uint32_t hi0 = (uint32_t) (p0 >> 32), lo0 = (uint32_t) p0;
        uint32_t hi1 = (uint32_t) (p1 >> 32), lo1 = (uint32_t) p1;
        uint32_t n0 = hi1 ^ c1 ^ k0;
        uint32_t n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += W0;
        k1 += W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

SCULPT_HD uint64_t double_bits(double x) {
#ifdef __CUDA_ARCH__
    return (uint64_t) __double_as_longlong(x);
#else
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
#endif
}

SCULPT_HD double bits_double(uint64_t b) {
#ifdef __CUDA_ARCH__
    return __longlong_as_double((long long) b);
#else
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
#endif
}

SCULPT_HD double uniform53(uint32_t hi, uint32_t lo) {
    uint64_t a = ((uint64_t) hi << 21) ^ ((uint64_t) lo >> 11);
    return ((double) a + 0.5) * SCULPT_TWO_POW_M53;
}

/** Natural log for x in (0, 1]: x = m 2^k with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m-1)/(m+1)). */
SCULPT_HD double log01(double x) {
    uint64_t bits = double_bits(x);
    int k = (int) ((bits >> 52) & 0x7FF) - 1023;
    double m = bits_double((bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    if (m > 1.4142135623730951) {
        m = m * 0.5;
        k = k + 1;
    }
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double p = 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    return (double) k * SCULPT_LN2 + 2.0 * s * p;
}

/** sin x for x in [0, pi/2), Taylor to x^13 (truncation below 7e-10). */
SCULPT_HD double sin_poly(double x) {
    double x2 = x * x;
    double p = 1.0 / 6227020800.0;
    p = p * x2 - 1.0 / 39916800.0;
    p = p * x2 + 1.0 / 362880.0;
    p = p * x2 - 1.0 / 5040.0;
    p = p * x2 + 1.0 / 120.0;
    p = p * x2 - 1.0 / 6.0;
    p = p * x2 + 1.0;
    return x * p;
}

/** cos x for x in [0, pi/2), Taylor to x^14 (truncation below 7e-11). */
SCULPT_HD double cos_poly(double x) {
    double x2 = x * x;
    double p = -1.0 / 87178291200.0;
    p = p * x2 + 1.0 / 479001600.0;
    p = p * x2 - 1.0 / 3628800.0;
    p = p * x2 + 1.0 / 40320.0;
    p = p * x2 - 1.0 / 720.0;
    p = p * x2 + 1.0 / 24.0;
    p = p * x2 - 0.5;
    p = p * x2 + 1.0;
    return p;
}

/** Both Box-Muller outputs of one Philox block: out0 (which = 0, r cos) and out1 (which = 1, r sin). */
SCULPT_HD void box_muller2(const uint32_t w[4], float* out0, float* out1) {
    double u1 = uniform53(w[0], w[1]);
    double u2 = uniform53(w[2], w[3]);
    double r = sqrt(-2.0 * log01(u1));
    double x = u2 * 4.0;
    int q = (int) x;
    double phi = (x - (double) q) * SCULPT_HALF_PI;
    double s = sin_poly(phi);
    double c = cos_poly(phi);
    double cosT, sinT;
    switch (q) {
        case 0: cosT = c; sinT = s; break;
        case 1: cosT = -s; sinT = c; break;
        case 2: cosT = -c; sinT = -s; break;
        default: cosT = s; sinT = -c; break;
    }
    *out0 = (float) (r * cosT);
    *out1 = (float) (r * sinT);
}

/** The Philox block behind elements 2*pair and 2*pair+1 of matrix b under seed. */
SCULPT_HD void pair_block(long long seed, long long b, unsigned long long pair, uint32_t w[4]) {
    block((uint32_t) pair, (uint32_t) (pair >> 32), (uint32_t) b, 0u,
          (uint32_t) (unsigned long long) seed, (uint32_t) ((unsigned long long) seed >> 32), w);
}

/** The Gaussian of element e of matrix b under seed (Philox.gaussian). */
SCULPT_HD float gaussian(long long seed, long long b, long long e) {
    uint32_t w[4];
    pair_block(seed, b, (unsigned long long) e >> 1, w);
    float g0, g1;
    box_muller2(w, &g0, &g1);
    return (e & 1) ? g1 : g0;
}

}  // namespace sculpt_philox

#endif

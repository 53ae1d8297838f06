// Runs the real kernel sources of native/cuda on the CPU, CUDA threads as fibers (cuda_emulation.h), and checks them against float64
// references computed here. Built and run by tests/.../CudaKernelEmulationTest where g++ exists:
//   g++ -std=c++20 -O1 -pthread -DSCULPT_EMULATION -I native/include -I native/cuda -I native/test \
//       native/test/kernel_emulation_test.cpp -o kernel_emulation_test && ./kernel_emulation_test
// Prints one line per check and exits non-zero on the first failure.
#include <cstdio>
#include <cstdlib>
#include <random>

#include "../cuda/eigen.cu"
#include "../cuda/elementwise.cu"
#include "../cuda/orthonormalize.cu"
#include "../cuda/project.cu"
#include "../cuda/sketch.cu"
#include "../cuda/validate.cu"

using sculpt_emu::launch;

static int failures = 0;
#define CHECK(cond, ...)                                        \
    do {                                                        \
        if (!(cond)) {                                          \
            std::printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            std::printf(__VA_ARGS__);                           \
            std::printf("\n");                                  \
            std::exit(1);                                       \
        }                                                       \
    } while (0)

static std::mt19937_64 rng(12345);
static double gauss() { return std::normal_distribution<double>(0.0, 1.0)(rng); }

static void test_philox_fill() {
    int count = 2, rows = 3, cols = 5;  // odd size: the last pair of each matrix has one element
    long long size = rows * cols, pairs = (size + 1) / 2, seed = -7243650718364538511LL;
    std::vector<float> out(count * size, -1.0f);
    launch(dim3(2), dim3(4), 0, philox_fill_kernel, out.data(), count, size, pairs, seed);
    for (int b = 0; b < count; b++)
        for (long long e = 0; e < size; e++) {
            float want = sculpt_philox::gaussian(seed, b, e);
            CHECK(std::memcmp(&want, &out[b * size + e], 4) == 0, "philox b %d e %lld: %g vs %g", b, e, want, out[b * size + e]);
        }
    std::printf("ok philox_fill_kernel\n");
}

static void test_nonfinite() {
    int count = 3;
    long long size = 1000;
    std::vector<float> x(count * size, 1.0f);
    x[1 * size + 777] = NAN;
    x[2 * size + 3] = INFINITY;
    std::vector<int> flags(count, 0);
    launch(dim3(2, count), dim3(64), 0, nonfinite_kernel, (const float*) x.data(), size, flags.data());
    CHECK(flags[0] == 0 && flags[1] == 1 && flags[2] == 1, "flags %d %d %d", flags[0], flags[1], flags[2]);
    std::printf("ok nonfinite_kernel\n");
}

static std::vector<double> gram_ref(const std::vector<float>& y, int b, int rows, int cols) {
    std::vector<double> g(cols * cols, 0.0);
    for (int i = 0; i < cols; i++)
        for (int j = 0; j < cols; j++)
            for (int r = 0; r < rows; r++) g[i * cols + j] += (double) y[(b * rows + r) * cols + i] * y[(b * rows + r) * cols + j];
    return g;
}

static void test_gram_and_cholesky(int rows, int cols, int threads) {
    int count = 3;
    std::vector<float> y(count * rows * cols);
    for (auto& v : y) v = (float) gauss();
    for (int r = 0; r < rows; r++) y[(2 * rows + r) * cols + cols - 1] = y[(2 * rows + r) * cols + 0];  // matrix 2: rank-deficient
    std::vector<double> g(count * cols * cols, -1.0);
    int nt = (cols + GRAM_TILE - 1) / GRAM_TILE;
    launch(dim3(nt, nt, count), dim3(GRAM_TILE, GRAM_TILE), 0, gram_kernel, (const float*) y.data(), rows, cols, g.data());
    for (int b = 0; b < count; b++) {
        auto ref = gram_ref(y, b, rows, cols);
        for (int i = 0; i < cols * cols; i++) CHECK(std::fabs(ref[i] - g[b * cols * cols + i]) <= 1e-9 * (1 + std::fabs(ref[i])), "gram b %d i %d", b, i);
    }
    std::printf("ok gram_kernel %d x %d\n", rows, cols);
    std::vector<float> rinv(count * cols * cols, -5.0f);
    std::vector<int> fail(count, 7);
    launch(dim3(count), dim3(threads), sizeof(double) * cols, cholesky_inverse_kernel, g.data(), cols, 1e-10, rinv.data(), fail.data());
    CHECK(fail[0] == 0 && fail[1] == 0 && fail[2] == 1, "fail flags %d %d %d", fail[0], fail[1], fail[2]);
    for (int b = 0; b < 2; b++) {
        auto ref = gram_ref(y, b, rows, cols);
        const float* x = &rinv[b * cols * cols];
        for (int i = 0; i < cols; i++)
            for (int j = 0; j < i; j++) CHECK(x[i * cols + j] == 0.0f, "R^-1 not upper triangular at %d %d", i, j);
        for (int i = 0; i < cols; i++) CHECK(x[i * cols + i] > 0, "diag of R^-1 not positive");
        // X^T G X = I
        double worst = 0;
        for (int i = 0; i < cols; i++)
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int p = 0; p < cols; p++)
                    for (int q = 0; q < cols; q++) s += (double) x[p * cols + i] * ref[p * cols + q] * x[q * cols + j];
                worst = std::max(worst, std::fabs(s - (i == j ? 1.0 : 0.0)));
            }
        CHECK(worst < 1e-4, "R^-T G R^-1 - I = %g for matrix %d", worst, b);
    }
    for (int i = 0; i < cols; i++)
        for (int j = 0; j < cols; j++) CHECK(rinv[2 * cols * cols + i * cols + j] == (i == j ? 1.0f : 0.0f), "identity on failure");
    std::printf("ok cholesky_inverse_kernel n %d, %d threads (incl. rank-deficient fallback flag)\n", cols, threads);
}

// The blocked path's finish: g as cuSOLVER's Dpotrf (lower fill, column-major) leaves it, L in the column-major lower
// triangle and the untouched G above it; a reference Cholesky computed here stands in for potrf.
static void potrf_lower_ref(std::vector<double>& g, int n) {
    for (int j = 0; j < n; j++) {  // L(i, j) at i + j n
        double d = g[j + j * n];
        for (int t = 0; t < j; t++) d -= g[j + t * n] * g[j + t * n];
        double ljj = std::sqrt(std::fabs(d));   // |d|: a tiny or negative pivot goes on, as if potrf had not stopped
        g[j + j * n] = ljj;
        for (int i = j + 1; i < n; i++) {
            double x = g[i + j * n];
            for (int t = 0; t < j; t++) x -= g[i + t * n] * g[j + t * n];
            g[i + j * n] = ljj > 0 ? x / ljj : 0.0;
        }
    }
}

static void test_cholesky_finish(int rows, int n, int threads) {
    std::vector<float> y(rows * n);
    for (auto& v : y) v = (float) gauss();
    auto g0 = gram_ref(y, 0, rows, n);
    auto run = [&](std::vector<double> g, int info, std::vector<float>& r) {
        std::vector<int> fail(1, info);
        r.assign(n * n, -3.0f);
        launch(dim3(1), dim3(threads), 0, cholesky_check_kernel, (const double*) g.data(), n, 1e-10, fail.data());
        launch(dim3(3), dim3(16), 0, cholesky_factor_out_kernel, (const double*) g.data(), n, (const int*) fail.data(), r.data());
        return fail[0];
    };
    std::vector<float> r;
    std::vector<double> g = g0;
    potrf_lower_ref(g, n);
    CHECK(run(g, 0, r) == 0, "well-conditioned Gram flagged");
    double worst = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (j < i) { CHECK(r[i * n + j] == 0.0f, "R not upper triangular at %d %d", i, j); continue; }
            CHECK(r[i * n + j] == (float) g[j + i * n], "R[%d][%d] is not L(%d, %d)", i, j, j, i);
        }
    for (int i = 0; i < n; i++) CHECK(r[i * n + i] > 0, "diag R not positive");
    for (int i = 0; i < n; i++)  // R^T R = G to float rounding of R
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int t = 0; t < n; t++) s += (double) r[t * n + i] * r[t * n + j];
            worst = std::max(worst, std::fabs(s - g0[i * n + j]) / std::sqrt(g0[i * n + i] * g0[j * n + j]));
        }
    // each entry of R rounds by u = 2^-24 relative; a sum of n products of entries of two columns of norm sqrt(G_ii),
    // sqrt(G_jj) is then off by at most 2 u sqrt(G_ii G_jj) (Cauchy-Schwarz), plus double rounding
    CHECK(worst <= 2.0 * std::ldexp(1.0, -24) * 1.01, "R^T R - G = %g (relative)", worst);
    auto identity = [&](const char* what) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) CHECK(r[i * n + j] == (i == j ? 1.0f : 0.0f), "identity on failure (%s)", what);
    };
    CHECK(run(g, 3, r) == 1, "potrf info 3 not flagged");   // potrf stopped at a non-positive pivot
    identity("potrf info");
    // rank-deficient: column n-1 repeats column 0, the last pivot is rounding-sized
    std::vector<float> yd = y;
    for (int i = 0; i < rows; i++) yd[i * n + n - 1] = yd[i * n];
    g = gram_ref(yd, 0, rows, n);
    potrf_lower_ref(g, n);
    CHECK(run(g, 0, r) == 1, "rank-deficient Gram not flagged");
    identity("tiny pivot");
    g = g0;
    g[1 + 0 * n] = NAN;   // G(1, 0): reaches L(1, 0) and every later pivot
    potrf_lower_ref(g, n);
    CHECK(run(g, 0, r) == 1, "NaN not flagged");
    identity("NaN");
    std::printf("ok cholesky_check_kernel / cholesky_factor_out_kernel n %d, %d threads (R^T R - G = %.2e of sqrt(G_ii G_jj); "
                "potrf info, rank-deficient and NaN flagged)\n", n, threads, worst);
}

static void test_jacobi(int n, int keep, int threads) {
    int count = 2;
    std::vector<double> a(count * n * n), orig;
    for (int b = 0; b < count; b++)
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double v = gauss();
                a[b * n * n + i * n + j] = v;
                a[b * n * n + j * n + i] = v;
            }
    for (int i = 0; i < n; i++) a[n * n + i * n + i] += (i < 3 ? 5.0 : 0.0);   // a repeated eigenvalue cluster in matrix 1
    orig = a;
    std::vector<double> work(count * n * n);
    std::vector<float> vals(count * keep), roots(count * keep), vecs(count * n * keep);
    int L = n + (n & 1);
    launch(dim3(count), dim3(threads), sizeof(double) * L, jacobi_kernel, a.data(), n, keep, 40, work.data(), vals.data(), roots.data(), vecs.data());
    for (int b = 0; b < count; b++) {
        const double* A = &orig[b * n * n];
        double trace = 0, sum = 0, fro = 0;
        for (int i = 0; i < n; i++) trace += A[i * n + i];
        for (int i = 0; i < n * n; i++) fro += A[i] * A[i];
        fro = std::sqrt(fro);
        for (int r = 0; r < keep; r++) {
            sum += vals[b * keep + r];
            if (r > 0) CHECK(vals[b * keep + r] <= vals[b * keep + r - 1], "eigenvalues not descending");
            CHECK(std::fabs(roots[b * keep + r] - std::sqrt(std::max(0.0, (double) vals[b * keep + r]))) <= 1e-6 * (1 + roots[b * keep + r]), "roots");
            double res = 0, nv = 0;
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) s += A[i * n + j] * vecs[(b * n + j) * keep + r];
                s -= vals[b * keep + r] * vecs[(b * n + i) * keep + r];
                res += s * s;
                nv += (double) vecs[(b * n + i) * keep + r] * vecs[(b * n + i) * keep + r];
            }
            CHECK(std::sqrt(res) < 1e-5 * fro, "eigen residual %g for pair %d of matrix %d (n %d)", std::sqrt(res), r, b, n);
            CHECK(std::fabs(nv - 1) < 1e-5, "eigenvector norm");
            for (int q = 0; q < r; q++) {
                double d = 0;
                for (int i = 0; i < n; i++) d += (double) vecs[(b * n + i) * keep + r] * vecs[(b * n + i) * keep + q];
                CHECK(std::fabs(d) < 1e-5, "eigenvectors %d %d not orthogonal: %g", q, r, d);
            }
        }
        if (keep == n) CHECK(std::fabs(sum - trace) < 1e-4 * (1 + std::fabs(trace)), "sum of eigenvalues %g vs trace %g", sum, trace);
    }
    std::printf("ok jacobi_kernel n %d keep %d, %d threads\n", n, keep, threads);
}

static void test_eigen_select() {
    int count = 2, n = 5, keep = 3;
    std::vector<double> w(count * n), z(count * n * n);
    for (int b = 0; b < count; b++)
        for (int i = 0; i < n; i++) {
            w[b * n + i] = i - 1.5 + b;                                        // ascending, some negative
            for (int j = 0; j < n; j++) z[b * n * n + i * n + j] = 100 * b + 10 * i + j;  // vector i, element j
        }
    std::vector<float> vals(count * keep), roots(count * keep), vecs(count * n * keep);
    launch(dim3(count), dim3(4), sizeof(int) * n, eigen_select_kernel, (const double*) w.data(), (const double*) z.data(), n, keep,
           vals.data(), roots.data(), vecs.data());
    for (int b = 0; b < count; b++)
        for (int r = 0; r < keep; r++) {
            int i = n - 1 - r;
            CHECK(vals[b * keep + r] == (float) w[b * n + i], "select value");
            CHECK(roots[b * keep + r] == (float) std::sqrt(std::max(0.0, w[b * n + i])), "select root");
            for (int j = 0; j < n; j++) CHECK(vecs[(b * n + j) * keep + r] == (float) z[b * n * n + i * n + j], "select vector");
        }
    std::printf("ok eigen_select_kernel\n");
}

static void test_layout_helpers() {
    int count = 2, rows = 37, cols = 45;
    std::vector<float> in(count * rows * cols), out(count * rows * cols, -1.0f);
    for (size_t i = 0; i < in.size(); i++) in[i] = (float) i;
    launch(dim3((cols + 31) / 32, (rows + 31) / 32, count), dim3(32, 8), 0, transpose_kernel, (const float*) in.data(), rows, cols, out.data());
    for (int b = 0; b < count; b++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) CHECK(out[b * rows * cols + c * rows + r] == in[b * rows * cols + r * cols + c], "transpose");
    std::printf("ok transpose_kernel\n");
    int keep = 4;
    std::vector<float> taken(count * rows * keep);
    launch(dim3(3), dim3(32), 0, take_columns_kernel, (const float*) in.data(), count, rows, cols, keep, taken.data());
    for (int b = 0; b < count; b++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < keep; c++) CHECK(taken[(b * rows + r) * keep + c] == in[(b * rows + r) * cols + c], "take_columns");
    std::printf("ok take_columns_kernel\n");
    std::vector<float> x = in, s(count * cols);
    for (size_t i = 0; i < s.size(); i++) s[i] = (i % 7 == 0) ? 0.0f : 0.5f + i;
    launch(dim3(3), dim3(32), 0, scale_columns_inverse_kernel, x.data(), count, rows, cols, (const float*) s.data(), 1e-30f);
    for (int b = 0; b < count; b++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float sv = s[b * cols + c], want = sv > 1e-30f ? in[(b * rows + r) * cols + c] / sv : 0.0f;
                CHECK(x[(b * rows + r) * cols + c] == want, "scale_columns_inverse");
            }
    std::printf("ok scale_columns_inverse_kernel\n");
    int m = 6, n = 4;
    std::vector<float> qr(m * n), signs(n), cm(m * n, 2.0f);
    for (int i = 0; i < m * n; i++) qr[i] = (float) gauss();
    launch(dim3(1), dim3(32), 0, diag_signs_kernel, (const float*) qr.data(), m, n, signs.data());
    for (int j = 0; j < n; j++) CHECK(signs[j] == (qr[j * m + j] < 0 ? -1.0f : 1.0f), "diag_signs");
    launch(dim3(1), dim3(8), 0, scale_columns_colmajor_kernel, cm.data(), m, n, (const float*) signs.data());
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) CHECK(cm[j * m + i] == 2.0f * signs[j], "scale_columns_colmajor");
    std::printf("ok diag_signs_kernel, scale_columns_colmajor_kernel\n");
}

// The fused projection update against a float64 reference, with both terms, each term alone, ragged edges
// (m, n, k not multiples of the 64 x 64 tile or the 16-wide K chunk) and two matrices in the batch.
static void test_project_update(int m, int n, int k1, int k2) {
    int count = 2;
    std::vector<float> d(count * m * n), a1(count * m * (k1 > 0 ? k1 : 1)), b1(count * (k1 > 0 ? k1 : 1) * n),
        a2(count * m * (k2 > 0 ? k2 : 1)), b2t(count * n * (k2 > 0 ? k2 : 1));
    for (auto* v : {&d, &a1, &b1, &a2, &b2t})
        for (auto& x : *v) x = (float) gauss();
    std::vector<float> got = d;
    int gx = (n + PROJ_TILE - 1) / PROJ_TILE, gy = (m + PROJ_TILE - 1) / PROJ_TILE;
    launch(dim3(gx, gy, count), dim3(PROJ_T, PROJ_T), 0, project_update_kernel, got.data(), m, n,
           (const float*) a1.data(), (const float*) b1.data(), k1, (const float*) a2.data(), (const float*) b2t.data(), k2);
    double worst = 0.0;
    for (int b = 0; b < count; b++)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double want = d[(b * m + i) * n + j], scale = 1.0;
                for (int a = 0; a < k1; a++) {
                    double p = (double) a1[(b * m + i) * k1 + a] * b1[(b * k1 + a) * n + j];
                    want -= p;
                    scale += std::fabs(p);
                }
                for (int a = 0; a < k2; a++) {
                    double p = (double) a2[(b * m + i) * k2 + a] * b2t[(b * n + j) * k2 + a];
                    want -= p;
                    scale += std::fabs(p);
                }
                double err = std::fabs(got[(b * m + i) * n + j] - want) / scale;
                worst = std::max(worst, err);
                CHECK(err < 1e-6, "project_update m %d n %d k1 %d k2 %d: b %d (%d,%d) %g vs %g", m, n, k1, k2, b, i, j,
                      got[(b * m + i) * n + j], want);
            }
    std::printf("ok project_update_kernel m=%d n=%d k1=%d k2=%d (worst relative error %.2e)\n", m, n, k1, k2, worst);
}

int main() {
    test_philox_fill();
    test_nonfinite();
    test_gram_and_cholesky(40, 21, 8);
    test_gram_and_cholesky(90, 33, 32);
    test_cholesky_finish(50, 37, 8);
    test_cholesky_finish(120, 70, 64);
    test_jacobi(9, 9, 4);
    test_jacobi(20, 7, 16);
    test_jacobi(33, 33, 32);
    test_eigen_select();
    test_layout_helpers();
    test_project_update(70, 90, 20, 20);
    test_project_update(33, 130, 17, 0);
    test_project_update(129, 21, 0, 5);
    std::printf("all kernel checks passed\n");
    return failures;
}

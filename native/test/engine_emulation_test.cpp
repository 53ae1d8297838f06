// Runs the training-engine CUDA kernels (native/cuda/engine_*.cu) on the CPU, CUDA threads as fibers (cuda_emulation.h), and checks
// them against float64 references written here from the formulas: forward values directly, every backward
// against central finite differences of the float64 forward (llm.c style), AdamW bit for bit against the float32
// arithmetic of dev.sculpt.train.AdamW. Built and run by tests/.../CudaKernelEmulationTest where g++ exists:
//   g++ -std=c++20 -O1 -pthread -DSCULPT_EMULATION -I native/include -I native/cuda -I native/test \
//       native/test/engine_emulation_test.cpp -o engine_emulation_test && ./engine_emulation_test [seed]
// Prints one line per check and exits non-zero on the first failure.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>

#include "../cuda/engine_activation.cu"
#include "../cuda/engine_adamw.cu"
#include "../cuda/engine_cross_entropy.cu"
#include "../cuda/engine_embedding.cu"
#include "../cuda/engine_norm.cu"
#include "../cuda/engine_rope.cu"
#include "../cuda/engine_reduce.cu"
#include "../cuda/engine_softmax.cu"

using sculpt_emu::launch;
using vecf = std::vector<float>;
using vecd = std::vector<double>;

static unsigned long long seed_used = 0;
#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            std::printf("FAIL %s:%d (seed %llu): ", __FILE__, __LINE__, seed_used); \
            std::printf(__VA_ARGS__);                                       \
            std::printf("\n");                                              \
            std::exit(1);                                                   \
        }                                                                   \
    } while (0)

static std::mt19937_64 rng;
static double gauss() { return std::normal_distribution<double>(0.0, 1.0)(rng); }
static vecf randf(size_t n, double scale = 1.0) {
    vecf v(n);
    for (auto& x : v) x = (float) (scale * gauss());
    return v;
}
static vecd todouble(const vecf& v) { return vecd(v.begin(), v.end()); }
static double maxabs(const vecd& v) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
}

// Relative max error of a float result against a float64 reference (relative to the reference's largest entry).
static double rel_err(const vecf& got, const vecd& want) {
    double m = std::max(maxabs(want), 1e-30), e = 0;
    for (size_t i = 0; i < want.size(); i++) e = std::max(e, std::fabs(got[i] - want[i]));
    return e / m;
}

// Central differences of a scalar float64 function at x: d f / d x_i for every i.
static vecd numeric_grad(const std::function<double(const vecd&)>& f, vecd x, double h = 1e-6) {
    vecd g(x.size());
    for (size_t i = 0; i < x.size(); i++) {
        double x0 = x[i];
        x[i] = x0 + h;
        double fp = f(x);
        x[i] = x0 - h;
        double fm = f(x);
        x[i] = x0;
        g[i] = (fp - fm) / (2 * h);
    }
    return g;
}

static double dot(const vecd& a, const vecd& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); i++) s += a[i] * b[i];
    return s;
}

// ---- RMSNorm ----
static vecd rmsnorm_ref(const vecd& x, const vecd& w, int n, int dim, double eps) {
    vecd y(x.size());
    for (int i = 0; i < n; i++) {
        double ss = 0;
        for (int j = 0; j < dim; j++) ss += x[i * dim + j] * x[i * dim + j];
        double r = 1.0 / std::sqrt(ss / dim + eps);
        for (int j = 0; j < dim; j++) y[i * dim + j] = w[j] * x[i * dim + j] * r;
    }
    return y;
}

static void test_rmsnorm() {
    int n = 5, dim = 37;
    float eps = 1e-5f;
    vecf x = randf(n * dim), w = randf(dim), y(n * dim), rstd(n);
    launch(dim3(n), dim3(32), 0, rmsnorm_forward_kernel, y.data(), rstd.data(), (const float*) x.data(), (const float*) w.data(),
           dim, eps);
    vecd xd = todouble(x), wd = todouble(w);
    double e = rel_err(y, rmsnorm_ref(xd, wd, n, dim, eps));
    CHECK(e < 2e-6, "rmsnorm forward relative error %g", e);
    vecf r = randf(n * dim);   // loss L = sum(y * r), so dy = r
    vecd rd = todouble(r);
    vecd gx = numeric_grad([&](const vecd& xx) { return dot(rmsnorm_ref(xx, wd, n, dim, eps), rd); }, xd);
    vecd gw = numeric_grad([&](const vecd& ww) { return dot(rmsnorm_ref(xd, ww, n, dim, eps), rd); }, wd);
    vecf dx(n * dim), dw0 = randf(dim), dw = dw0;
    launch(dim3(n), dim3(32), 0, rmsnorm_backward_dx_kernel, dx.data(), (const float*) r.data(), (const float*) x.data(),
           (const float*) w.data(), (const float*) rstd.data(), dim, 0);
    launch(dim3(2), dim3(32), 0, rmsnorm_backward_dw_kernel, dw.data(), (const float*) r.data(), (const float*) x.data(),
           (const float*) rstd.data(), n, dim);
    e = rel_err(dx, gx);
    CHECK(e < 1e-5, "rmsnorm dx vs finite differences: %g", e);
    vecf dwd(dim);
    for (int j = 0; j < dim; j++) dwd[j] = dw[j] - dw0[j];   // accumulated into what was there
    e = rel_err(dwd, gw);
    CHECK(e < 1e-5, "rmsnorm dw vs finite differences: %g", e);
    vecf acc0 = randf(n * dim), acc = acc0;
    launch(dim3(n), dim3(32), 0, rmsnorm_backward_dx_kernel, acc.data(), (const float*) r.data(), (const float*) x.data(),
           (const float*) w.data(), (const float*) rstd.data(), dim, 1);
    for (int i = 0; i < n * dim; i++) CHECK(std::fabs(acc[i] - (acc0[i] + dx[i])) < 1e-5, "rmsnorm dx accumulate at %d", i);
    std::printf("ok rmsnorm forward, dx, dw (n=%d dim=%d)\n", n, dim);
}

// ---- RoPE ----
static vecd rope_ref(const vecd& x, int n, int heads, int hd, int start, const vecf& inv) {
    vecd y = x;
    int half = hd / 2;
    for (int r = 0; r < n; r++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++) {
                double ang = (double) (float) ((float) (start + r) * inv[i]);
                double c = std::cos(ang), s = std::sin(ang);
                size_t o = ((size_t) r * heads + h) * hd;
                double a = x[o + i], b = x[o + i + half];
                y[o + i] = a * c - b * s;
                y[o + i + half] = b * c + a * s;
            }
    return y;
}

static void test_rope() {
    int n = 3, heads = 2, hd = 8, start = 5;
    vecf inv(hd / 2);
    for (int i = 0; i < hd / 2; i++) inv[i] = (float) (1.0 / (float) std::pow(10000.0, (float) (2 * i) / hd));
    vecf x = randf(n * heads * hd), y = x;
    int pairs = n * heads * hd / 2;
    launch(dim3((pairs + 31) / 32), dim3(32), 0, rope_kernel, y.data(), n, heads, hd, start, (const float*) inv.data(), 1.0f);
    double e = rel_err(y, rope_ref(todouble(x), n, heads, hd, start, inv));
    CHECK(e < 2e-6, "rope forward relative error %g", e);
    // the backward is the adjoint of the forward: <rope(x), g> = <x, rope_back(g)>
    vecf g = randf(n * heads * hd), gb = g;
    launch(dim3((pairs + 31) / 32), dim3(32), 0, rope_kernel, gb.data(), n, heads, hd, start, (const float*) inv.data(), -1.0f);
    double lhs = dot(rope_ref(todouble(x), n, heads, hd, start, inv), todouble(g)), rhs = dot(todouble(x), todouble(gb));
    CHECK(std::fabs(lhs - rhs) < 1e-5 * (1 + std::fabs(lhs)), "rope backward is not the adjoint: %g vs %g", lhs, rhs);
    vecf back = y;
    launch(dim3((pairs + 31) / 32), dim3(32), 0, rope_kernel, back.data(), n, heads, hd, start, (const float*) inv.data(), -1.0f);
    CHECK(rel_err(back, todouble(x)) < 1e-6, "rope backward does not undo the forward");
    std::printf("ok rope forward and backward (n=%d heads=%d head_dim=%d start=%d)\n", n, heads, hd, start);
}

// ---- activations ----
static double act_ref(double a, int kind) {
    if (kind == 0) return a / (1.0 + std::exp(-a));
    return 0.5 * a * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (a + 0.044715 * a * a * a)));
}

static void test_gated(int kind) {
    int count = 150;
    vecf a = randf(count, 2.0), b = randf(count), h(count), r = randf(count);
    launch(dim3((count + 63) / 64), dim3(64), 0, gated_forward_kernel, h.data(), (const float*) a.data(), (const float*) b.data(),
           (long long) count, kind);
    vecd want(count);
    for (int i = 0; i < count; i++) want[i] = act_ref(a[i], kind) * b[i];
    double e = rel_err(h, want);
    CHECK(e < 2e-6, "gated kind %d forward relative error %g", kind, e);
    vecd ad = todouble(a), bd = todouble(b), rd = todouble(r);
    auto loss = [&](const vecd& aa, const vecd& bb) {
        double s = 0;
        for (int i = 0; i < count; i++) s += act_ref(aa[i], kind) * bb[i] * rd[i];
        return s;
    };
    vecd ga = numeric_grad([&](const vecd& aa) { return loss(aa, bd); }, ad);
    vecd gb = numeric_grad([&](const vecd& bb) { return loss(ad, bb); }, bd);
    vecf da(count), db(count);
    launch(dim3((count + 63) / 64), dim3(64), 0, gated_backward_kernel, da.data(), db.data(), (const float*) r.data(),
           (const float*) a.data(), (const float*) b.data(), (long long) count, kind);
    CHECK(rel_err(da, ga) < 1e-5, "gated kind %d da vs finite differences: %g", kind, rel_err(da, ga));
    CHECK(rel_err(db, gb) < 1e-5, "gated kind %d db vs finite differences: %g", kind, rel_err(db, gb));
    vecf a2 = a, b2 = b;   // in place: da over a, db over b
    launch(dim3((count + 63) / 64), dim3(64), 0, gated_backward_kernel, a2.data(), b2.data(), (const float*) r.data(),
           (const float*) a2.data(), (const float*) b2.data(), (long long) count, kind);
    CHECK(a2 == da && b2 == db, "gated kind %d backward in place differs", kind);
    std::printf("ok gated activation kind %d forward and backward (%s)\n", kind, kind == 0 ? "SwiGLU" : "gelu_new");
}

static void test_relu() {
    int count = 99;
    vecf a = randf(count), h(count), g = randf(count), da(count);
    for (auto& v : a) if (std::fabs(v) < 1e-3f) v = 0.5f;   // keep away from the kink
    launch(dim3(2), dim3(64), 0, relu_forward_kernel, h.data(), (const float*) a.data(), (long long) count);
    launch(dim3(2), dim3(64), 0, relu_backward_kernel, da.data(), (const float*) g.data(), (const float*) a.data(), (long long) count);
    for (int i = 0; i < count; i++) {
        CHECK(h[i] == (a[i] > 0 ? a[i] : 0.0f), "relu forward at %d", i);
        CHECK(da[i] == (a[i] > 0 ? g[i] : 0.0f), "relu backward at %d", i);
    }
    std::printf("ok relu forward and backward\n");
}

// ---- attention softmax ----
static vecd softmax_ref(const vecd& s, const vecd* bias, int heads, int tq, int tk, int q_start, bool causal) {
    vecd p(s.size(), 0.0);
    for (int h = 0; h < heads; h++)
        for (int i = 0; i < tq; i++) {
            size_t o = ((size_t) h * tq + i) * tk;
            int limit = causal ? std::min(tk, q_start + i + 1) : tk;
            double mx = -1e300;
            for (int j = 0; j < limit; j++) mx = std::max(mx, s[o + j] + (bias ? (*bias)[o + j] : 0.0));
            double sum = 0;
            for (int j = 0; j < limit; j++) sum += std::exp(s[o + j] + (bias ? (*bias)[o + j] : 0.0) - mx);
            for (int j = 0; j < limit; j++) p[o + j] = std::exp(s[o + j] + (bias ? (*bias)[o + j] : 0.0) - mx) / sum;
        }
    return p;
}

static void test_softmax(bool causal, bool with_bias) {
    int heads = 2, tq = 3, tk = 7, q_start = causal ? 2 : 0;
    int rows = heads * tq;
    vecf s = randf(rows * tk, 2.0), bias = randf(rows * tk), p = s;
    launch(dim3(rows), dim3(32), 0, attention_softmax_forward_kernel, p.data(), with_bias ? (const float*) bias.data() : nullptr,
           tq, tk, q_start, causal ? 1 : 0);
    vecd sd = todouble(s), bd = todouble(bias);
    const vecd* bp = with_bias ? &bd : nullptr;
    vecd want = softmax_ref(sd, bp, heads, tq, tk, q_start, causal);
    double e = rel_err(p, want);
    CHECK(e < 2e-6, "softmax forward (causal %d bias %d) relative error %g", causal, with_bias, e);
    vecf r = randf(rows * tk), ds(rows * tk);
    vecd rd = todouble(r);
    vecd g = numeric_grad([&](const vecd& ss) { return dot(softmax_ref(ss, bp, heads, tq, tk, q_start, causal), rd); }, sd);
    launch(dim3(rows), dim3(32), 0, attention_softmax_backward_kernel, ds.data(), (const float*) r.data(), (const float*) p.data(), tk);
    e = rel_err(ds, g);
    CHECK(e < 1e-5, "softmax backward (causal %d bias %d) vs finite differences: %g", causal, with_bias, e);
    std::printf("ok attention softmax forward and backward (causal %d, bias %d)\n", causal, with_bias);
}

// ---- cross-entropy ----
static void test_cross_entropy() {
    int n = 4, vocab = 50;
    vecf logits = randf(n * vocab, 3.0);
    std::vector<int> targets = {7, -100, 49, 0};
    float row_scale = 1.0f / 3;   // MEAN over the 3 counted rows
    vecf d(n * vocab), losses(n, -1.0f);
    launch(dim3(n), dim3(32), 0, cross_entropy_kernel, d.data(), losses.data(), (const float*) logits.data(),
           (const int*) targets.data(), vocab, row_scale);
    vecd ld = todouble(logits);
    auto row_loss = [&](const vecd& l, int i) {
        if (targets[i] == -100) return 0.0;
        double mx = -1e300, s = 0;
        for (int j = 0; j < vocab; j++) mx = std::max(mx, l[i * vocab + j]);
        for (int j = 0; j < vocab; j++) s += std::exp(l[i * vocab + j] - mx);
        return mx + std::log(s) - l[i * vocab + targets[i]];
    };
    for (int i = 0; i < n; i++) CHECK(std::fabs(losses[i] - row_loss(ld, i)) < 1e-5 * (1 + row_loss(ld, i)), "ce loss row %d", i);
    vecd g = numeric_grad([&](const vecd& l) {
        double s = 0;
        for (int i = 0; i < n; i++) s += row_loss(l, i);
        return s * row_scale;
    }, ld);
    double e = rel_err(d, g);
    CHECK(e < 1e-5, "cross-entropy gradient vs finite differences: %g", e);
    for (int j = 0; j < vocab; j++) CHECK(d[1 * vocab + j] == 0.0f, "ignored row has a gradient");
    vecf inplace = logits, l2(n);
    launch(dim3(n), dim3(32), 0, cross_entropy_kernel, inplace.data(), l2.data(), (const float*) inplace.data(),
           (const int*) targets.data(), vocab, row_scale);
    CHECK(inplace == d && l2 == losses, "cross-entropy in place differs");
    std::printf("ok cross-entropy loss and gradient (ignore -100, in place)\n");
}

// ---- embedding ----
static void test_embedding() {
    int vocab = 11, dim = 13, n = 9;
    vecf table = randf(vocab * dim), out(n * dim);
    std::vector<int> ids = {3, 0, 3, 10, 5, 3, 7, 0, 10};
    launch(dim3((n * dim + 63) / 64), dim3(64), 0, embedding_forward_kernel, out.data(), (const float*) table.data(),
           (const int*) ids.data(), n, dim);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dim; j++) CHECK(out[i * dim + j] == table[ids[i] * dim + j], "embedding forward (%d,%d)", i, j);
    vecf dout = randf(n * dim), d0 = randf(vocab * dim), d = d0;
    launch(dim3(1), dim3(32), 0, embedding_backward_kernel, d.data(), (const float*) dout.data(), (const int*) ids.data(), n, dim);
    vecd want = todouble(d0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dim; j++) want[ids[i] * dim + j] += dout[i * dim + j];
    CHECK(rel_err(d, want) < 1e-6, "embedding backward: %g", rel_err(d, want));
    std::printf("ok embedding forward and backward (repeated ids)\n");
}

// ---- AdamW ----
static void test_adamw() {
    int count = 200;
    float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, lr = 3e-3f, decay = 0.01f;
    vecf w = randf(count), m(count, 0.0f), v(count, 0.0f), mj = m, vj = v;
    vecd md(count, 0.0), vd(count, 0.0);
    for (int t = 1; t <= 3; t++) {
        vecf g = randf(count);
        // the Java optimizer's scalars, computed as dev.sculpt.train.AdamW computes them
        float bc1 = (float) (1 - std::pow(b1, t)), bc2 = (float) (1 - std::pow(b2, t));
        float step = lr / bc1, inv = (float) (1 / std::sqrt(bc2)), wdv = lr * decay, c1 = 1 - b1, c2 = 1 - b2;
        vecf delta(count);
        launch(dim3((count + 63) / 64), dim3(64), 0, adamw_kernel, delta.data(), m.data(), v.data(), (const float*) g.data(),
               (const float*) w.data(), (long long) count, b1, c1, b2, c2, step, inv, eps, wdv);
        for (int i = 0; i < count; i++) {
            // Java's float expression, term for term
            float mi = b1 * mj[i] + c1 * g[i];
            float vi = b2 * vj[i] + c2 * g[i] * g[i];
            mj[i] = mi;
            vj[i] = vi;
            float dj = -step * mi / ((float) std::sqrt((double) vi) * inv + eps);
            dj -= wdv * w[i];
            CHECK(std::memcmp(&dj, &delta[i], 4) == 0 && mi == m[i] && vi == v[i], "adamw step %d element %d: %.9g vs %.9g", t,
                  i, delta[i], dj);
            // and the textbook update in float64
            md[i] = 0.9 * md[i] + 0.1 * g[i];
            vd[i] = 0.999 * vd[i] + 0.001 * (double) g[i] * g[i];
            double want = -lr * ((md[i] / (1 - std::pow(0.9, t))) / (std::sqrt(vd[i] / (1 - std::pow(0.999, t))) + 1e-8)) -
                          lr * 0.01 * w[i];
            CHECK(std::fabs(delta[i] - want) < 1e-5 * std::fabs(lr), "adamw vs float64 step %d element %d: %g vs %g", t, i,
                  delta[i], want);
            w[i] += delta[i];
        }
    }
    std::printf("ok adamw: three steps bit-identical to the CPU optimizer's float arithmetic\n");
}

// ---- a reduction kept on the device: the host's additions, in the host's order ----
static void test_accumulate_partials() {
    long long count = 70000;   // 64 blocks of 256 threads, each striding over several elements
    int blocks = 64;
    vecf x = randf((size_t) count);
    vecd partials(blocks), acc(1);
    for (int op = 0; op <= 1; op++) {
        CHECK(sculpt_reduce(x.data(), count, op, partials.data(), blocks, nullptr) == 0, "sculpt_reduce op %d", op);
        double start = gauss();
        acc[0] = start;
        CHECK(sculpt_accumulate_partials(partials.data(), blocks, acc.data(), nullptr) == 0, "sculpt_accumulate_partials");
        double s = 0;
        for (int b = 0; b < blocks; b++) s += partials[b];
        double host = start + s;
        CHECK(std::memcmp(&host, &acc[0], sizeof(double)) == 0, "op %d: device %.17g, host %.17g", op, acc[0], host);
    }
    CHECK(sculpt_accumulate_partials(partials.data(), 0, acc.data(), nullptr) == (int) cudaErrorInvalidValue,
          "zero partials are refused");
    std::printf("ok accumulate_partials: bit-identical to the host's sum of the partials\n");
}

// ---- the host launch wrappers and the shim's launch-configuration check ----
static void test_wrappers_and_launch_limits() {
    int count = 300;   // two blocks of 256 in sculpt_relu_forward's configuration, the second one partly idle
    vecf a = randf(count), h(count, -7.0f);
    CHECK(sculpt_relu_forward(h.data(), a.data(), count, nullptr) == 0, "sculpt_relu_forward returned an error");
    for (int i = 0; i < count; i++) CHECK(h[i] == (a[i] > 0 ? a[i] : 0.0f), "relu wrapper element %d", i);
    CHECK(sculpt_gated_forward(h.data(), a.data(), a.data(), count, 5, nullptr) == (int) cudaErrorInvalidValue,
          "an unknown activation kind is refused");
    // a block of 2048 threads: a GPU refuses the launch, so must the shim, without running the kernel
    vecf before = h;
    SCULPT_LAUNCH(relu_forward_kernel, 1, 2048, 0, nullptr)(h.data(), (const float*) a.data(), (long long) count);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "a 2048-thread block was not refused");
    CHECK(cudaGetLastError() == cudaSuccess, "cudaGetLastError does not clear the error");
    CHECK(h == before, "a refused launch wrote its output");
    std::printf("ok launch wrappers, and the device's launch limits under the emulation\n");
}

// The emulation's schedule exposes a missing __syncthreads: thread 0 writes a shared value that every thread then
// reads. With the barrier every read sees this block's value; without it, the odd blocks (threads in reverse order)
// read the previous block's value in every thread but thread 0, as a GPU may.
__global__ void broadcast_kernel(int* out, bool sync) {
    __shared__ int value;
    if (threadIdx.x == 0) value = (int) blockIdx.x + 1;
    if (sync) __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = value;
}

static void test_schedule_exposes_missing_barrier() {
    const int blocks = 4, threads = 32;
    for (int sync = 1; sync >= 0; sync--) {
        std::vector<int> out(blocks * threads, -1);
        launch(dim3(blocks), dim3(threads), 0, broadcast_kernel, out.data(), sync == 1);
        int wrong = 0;
        for (int b = 0; b < blocks; b++)
            for (int t = 0; t < threads; t++) wrong += out[b * threads + t] != b + 1;
        if (sync) CHECK(wrong == 0, "with __syncthreads, %d reads saw another block's value", wrong);
        else CHECK(wrong == (blocks / 2) * (threads - 1), "without __syncthreads, %d stale reads, expected %d", wrong,
                   (blocks / 2) * (threads - 1));
    }
    std::printf("ok the emulation's schedule shows a missing __syncthreads (stale shared reads in odd blocks)\n");
}

int main(int argc, char** argv) {
    seed_used = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : std::random_device{}();
    rng.seed(seed_used);
    std::printf("seed %llu\n", seed_used);
    test_rmsnorm();
    test_rope();
    test_gated(0);
    test_gated(1);
    test_relu();
    test_softmax(true, false);
    test_softmax(false, true);
    test_softmax(true, true);
    test_cross_entropy();
    test_embedding();
    test_adamw();
    test_accumulate_partials();
    test_wrappers_and_launch_limits();
    test_schedule_exposes_missing_barrier();
    std::printf("all engine kernel checks passed\n");
    return 0;
}

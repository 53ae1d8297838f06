// Just enough of CUDA's execution model to run Sculpt's kernels on the CPU for testing without a GPU: one block
// at a time, each CUDA thread a fiber (own stack switch on x86-64, ucontext elsewhere) on the launching OS thread, __syncthreads a switch back to the
// block's scheduler, __shared__ variables as function statics (shared by the block's threads). A block runs in
// phases: every fiber not yet finished runs until it reaches __syncthreads or returns; when all have, the
// barrier opens (a finished fiber no longer holds the others, like arrive_and_drop). Fibers cost a context switch
// where the former one-std::thread-per-CUDA-thread shim cost a thread creation and join per thread and block
// (about 20-50 us each, with heavy system time); the kernels run the same code either way. Within a phase, even
// blocks run their threads in index order and odd blocks in reverse order, so that a missing __syncthreads
// between a write by one thread and a read by another shows up in one of the two orders. Our kernels use no
// warp shuffles and no atomics (block_reduce.cuh), which a cooperative schedule could not emulate.
// Not a general emulator; see kernel_emulation_test.cpp.
// Also the few runtime-API pieces the host launch wrappers use (cudaStream_t, cudaError_t, cudaGetLastError), so
// that the wrappers, with their launch configurations, build with g++ into libsculpt_cuda_emulated.so. A launch
// with a configuration the GPU would refuse (empty grid or block, over 1024 threads per block, grid.y or grid.z
// over 65535) runs nothing and sets the error cudaGetLastError reports, as on the device. Launches are serialized
// (the emulation's block state is process-wide), so several host threads may launch.
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <math.h>
#include <mutex>
#include <sys/mman.h>
#include <ucontext.h>
#include <vector>

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};

typedef struct CUstream_st* cudaStream_t;
enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorInvalidConfiguration = 9 };

namespace sculpt_emu {
inline thread_local dim3 thread_idx, block_idx;
inline dim3 block_dim, grid_dim;
inline std::vector<double> shared_mem;
inline std::atomic<int> or_acc{0};
inline std::mutex launch_lock;
inline cudaError_t last_error = cudaSuccess;
inline void* dynamic_shared() { return shared_mem.data(); }

/** Stack of one fiber; no kernel recurses or keeps local arrays, so this is ample. */
inline constexpr size_t FIBER_STACK = 256 * 1024;
enum class fiber_state : unsigned char { ready, at_barrier, done };
/** The fibers of the block being run (all guarded by launch_lock). Stacks are mapped once and reused. */
inline std::vector<void*> stacks;
inline std::vector<fiber_state> states;
inline unsigned current = 0;
inline void (*body)(void*) = nullptr;
inline void* body_arg = nullptr;

inline void ensure_stacks(unsigned n) {
    while (stacks.size() < n) {
        void* s = mmap(nullptr, FIBER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (s == MAP_FAILED) std::abort();
        stacks.push_back(s);
    }
    states.assign(n, fiber_state::ready);
}

#if defined(__x86_64__) && !defined(SCULPT_EMU_UCONTEXT)
// x86-64: a fiber switch saves the callee-saved registers, MXCSR and the x87 control word on the current stack and
// loads the other stack's. glibc's swapcontext also saves and restores the signal mask, a system call each way, and
// getcontext another per fiber and block: with 256 threads a block and a few barriers that was thousands of system
// calls per block, most of an emulated training step's time (an evolve round on a hidden-16 LLaMA took 85 s).
// Weak, since every translation unit that includes this header emits it.
extern "C" void sculpt_emu_switch(void** save_sp, void* load_sp);
asm(R"(
    .pushsection .text
    .weak sculpt_emu_switch
    .type sculpt_emu_switch, @function
sculpt_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    fnstcw (%rsp)
    stmxcsr 8(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    fldcw (%rsp)
    ldmxcsr 8(%rsp)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size sculpt_emu_switch, .-sculpt_emu_switch
    .popsection
)");

inline void* scheduler_sp = nullptr;
inline std::vector<void*> fiber_sp;

inline void to_scheduler() { sculpt_emu_switch(&fiber_sp[current], scheduler_sp); }
inline void to_fiber(unsigned t) { sculpt_emu_switch(&scheduler_sp, fiber_sp[t]); }

/** A fiber's first frame: runs the body, marks the fiber done and leaves for good. */
[[noreturn]] inline void fiber_start() {
    body(body_arg);
    states[current] = fiber_state::done;
    to_scheduler();
    std::abort();  // a finished fiber is never resumed
}

/**
 * Lays out a fresh fiber's stack as sculpt_emu_switch leaves a suspended one: control word and MXCSR (the
 * launching thread's), six zero registers, then fiber_start as the return address. The layout's base is 16-byte
 * aligned, so fiber_start begins with the stack as a call would leave it (rsp = 8 mod 16).
 */
inline void prepare_fiber(unsigned t) {
    uintptr_t top = (reinterpret_cast<uintptr_t>(stacks[t]) + FIBER_STACK) & ~uintptr_t(15);
    auto* sp = reinterpret_cast<uint64_t*>(top - 80);
    std::memset(sp, 0, 80);
    uint16_t cw;
    uint32_t mxcsr;
    asm volatile("fnstcw %0" : "=m"(cw));
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    std::memcpy(sp, &cw, sizeof cw);
    std::memcpy(reinterpret_cast<char*>(sp) + 8, &mxcsr, sizeof mxcsr);
    sp[8] = reinterpret_cast<uint64_t>(&fiber_start);
    if (fiber_sp.size() <= t) fiber_sp.resize(t + 1);
    fiber_sp[t] = sp;
}
#else
// Elsewhere: glibc's ucontext (correct everywhere, slower: a signal-mask system call per switch).
inline ucontext_t scheduler;
inline std::vector<ucontext_t> fibers;

inline void fiber_entry() {
    body(body_arg);
    states[current] = fiber_state::done;
    // returning resumes uc_link, the scheduler
}

inline void to_scheduler() { swapcontext(&fibers[current], &scheduler); }
inline void to_fiber(unsigned t) { swapcontext(&scheduler, &fibers[t]); }

inline void prepare_fiber(unsigned t) {
    if (fibers.size() <= t) fibers.resize(t + 1);
    getcontext(&fibers[t]);
    fibers[t].uc_stack.ss_sp = stacks[t];
    fibers[t].uc_stack.ss_size = FIBER_STACK;
    fibers[t].uc_link = &scheduler;
    makecontext(&fibers[t], fiber_entry, 0);
}
#endif

/** Called by a fiber at __syncthreads: back to the scheduler until the barrier opens. */
inline void barrier_wait() {
    states[current] = fiber_state::at_barrier;
    to_scheduler();
}

/** Runs one block of n threads of body(arg) to completion, in phases between __syncthreads. */
inline void run_block(unsigned n, dim3 block, bool reverse) {
    ensure_stacks(n);
    for (unsigned t = 0; t < n; t++) prepare_fiber(t);
    unsigned running = n;
    while (running > 0) {
        for (unsigned i = 0; i < n; i++) {
            unsigned t = reverse ? n - 1 - i : i;
            if (states[t] != fiber_state::ready) continue;
            current = t;
            thread_idx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            to_fiber(t);
            if (states[t] == fiber_state::done) running--;
        }
        for (unsigned t = 0; t < n; t++)
            if (states[t] == fiber_state::at_barrier) states[t] = fiber_state::ready;
    }
}

/** The limits of every CUDA GPU since compute capability 3.0 (sm_80 and sm_90 included). */
inline bool valid_configuration(dim3 grid, dim3 block, size_t shared) {
    unsigned long long threads = (unsigned long long) block.x * block.y * block.z;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0) return false;
    if (threads > 1024 || block.z > 64 || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) return false;
    return shared <= 48 * 1024;
}

/** Runs kernel<<<grid, block, shared>>>(args...) to completion (nothing, and an error, for a bad configuration). */
template <class K, class... A>
void launch(dim3 grid, dim3 block, size_t shared, K kernel, A... args) {
    std::lock_guard<std::mutex> guard(launch_lock);
    if (!valid_configuration(grid, block, shared)) {
        last_error = cudaErrorInvalidConfiguration;
        return;
    }
    grid_dim = grid;
    block_dim = block;
    shared_mem.assign(shared / sizeof(double) + 2, 0.0);
    unsigned nthreads = block.x * block.y * block.z;
    auto call = [&] { kernel(args...); };
    body = [](void* f) { (*static_cast<decltype(call)*>(f))(); };
    body_arg = &call;
    unsigned long long index = 0;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                block_idx = dim3(bx, by, bz);
                run_block(nthreads, block, (index++ & 1) != 0);
            }
}

/** What SCULPT_LAUNCH(kernel, grid, block, shared, stream)(args...) becomes under the emulation. */
template <class K>
struct launcher {
    K kernel;
    dim3 grid, block;
    size_t shared;
    template <class... A>
    void operator()(A... args) const { launch(grid, block, shared, kernel, args...); }
};

template <class K>
launcher<K> make_launcher(K kernel, dim3 grid, dim3 block, size_t shared) { return launcher<K>{kernel, grid, block, shared}; }
}  // namespace sculpt_emu

/** Returns and clears the error of the last refused launch (launches run synchronously, so none fail later). */
inline cudaError_t cudaGetLastError() {
    std::lock_guard<std::mutex> guard(sculpt_emu::launch_lock);
    cudaError_t e = sculpt_emu::last_error;
    sculpt_emu::last_error = cudaSuccess;
    return e;
}

#define threadIdx sculpt_emu::thread_idx
#define blockIdx sculpt_emu::block_idx
#define blockDim sculpt_emu::block_dim
#define gridDim sculpt_emu::grid_dim
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
using std::max;
using std::min;

inline void __syncthreads() { sculpt_emu::barrier_wait(); }

inline int __syncthreads_or(int p) {
    __syncthreads();
    if (p) sculpt_emu::or_acc.store(1);
    __syncthreads();
    int r = sculpt_emu::or_acc.load();
    __syncthreads();
    if (threadIdx.x == 0 && threadIdx.y == 0 && threadIdx.z == 0) sculpt_emu::or_acc.store(0);
    __syncthreads();
    return r;
}

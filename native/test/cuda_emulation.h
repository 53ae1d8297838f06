// Just enough of CUDA's execution model to run Sculpt's kernels on CPU threads for testing without a GPU:
// one std::thread per CUDA thread, one block at a time, __syncthreads as a std::barrier, __shared__ variables
// as function statics (shared by the block's threads). Not a general emulator; see kernel_emulation_test.cpp.
#pragma once
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <math.h>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};

namespace sculpt_emu {
inline thread_local dim3 thread_idx, block_idx;
inline dim3 block_dim, grid_dim;
inline std::barrier<>* bar = nullptr;
inline std::vector<double> shared_mem;
inline std::atomic<int> or_acc{0};
inline void* dynamic_shared() { return shared_mem.data(); }

/** Runs kernel<<<grid, block, shared>>>(args...) to completion. */
template <class K, class... A>
void launch(dim3 grid, dim3 block, size_t shared, K kernel, A... args) {
    grid_dim = grid;
    block_dim = block;
    shared_mem.assign(shared / sizeof(double) + 2, 0.0);
    unsigned nthreads = block.x * block.y * block.z;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                std::barrier<> b((std::ptrdiff_t) nthreads);
                bar = &b;
                std::vector<std::thread> ts;
                for (unsigned t = 0; t < nthreads; t++) {
                    ts.emplace_back([&, t, bx, by, bz] {
                        block_idx = dim3(bx, by, bz);
                        thread_idx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
                        kernel(args...);
                        b.arrive_and_drop();   // an exited thread no longer holds the others at a barrier
                    });
                }
                for (auto& th : ts) th.join();
            }
}
}  // namespace sculpt_emu

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

inline void __syncthreads() { sculpt_emu::bar->arrive_and_wait(); }

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

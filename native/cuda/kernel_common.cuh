// Shared by the kernel sources. Under SCULPT_EMULATION the same sources, host launch wrappers included, compile
// with g++ and run on the CPU, CUDA threads as fibers, one block at a time (native/test/cuda_emulation.h): for the kernel tests
// (native/test/*_emulation_test.cpp) and for libsculpt_cuda_emulated.so, the cuda-emulated ops provider.
// A launch is written SCULPT_LAUNCH(kernel, grid, block, shared_bytes, stream)(args...): <<<>>> under nvcc, the
// emulation's launch (same configuration, checked against the device limits) under SCULPT_EMULATION.
#ifndef SCULPT_KERNEL_COMMON_CUH
#define SCULPT_KERNEL_COMMON_CUH

#ifdef SCULPT_EMULATION
#include "cuda_emulation.h"
#define SCULPT_DYNAMIC_SHARED(type, name) type* name = (type*) sculpt_emu::dynamic_shared()
#define SCULPT_LAUNCH(kernel, grid, block, shared, stream) sculpt_emu::make_launcher(kernel, grid, block, shared)
#else
#include <cuda_runtime.h>
#define SCULPT_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#define SCULPT_LAUNCH(kernel, grid, block, shared, stream) kernel<<<grid, block, shared, stream>>>
#endif

#endif

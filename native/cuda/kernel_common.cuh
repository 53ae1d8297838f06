// Shared by the kernel sources. Under SCULPT_EMULATION (native/test/kernel_emulation_test.cpp) the same kernel
// code compiles with g++ and runs on CPU threads, one CUDA block at a time, so it can be tested without a GPU;
// the host wrappers (kernel launches) are then left out.
#ifndef SCULPT_KERNEL_COMMON_CUH
#define SCULPT_KERNEL_COMMON_CUH

#ifdef SCULPT_EMULATION
#include "cuda_emulation.h"
#define SCULPT_DYNAMIC_SHARED(type, name) type* name = (type*) sculpt_emu::dynamic_shared()
#else
#include <cuda_runtime.h>
#define SCULPT_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

#endif

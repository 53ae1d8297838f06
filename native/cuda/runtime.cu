// Device queries, memory and error text for the Java side (statically linked cudart: this library loads on
// machines without CUDA; the calls then return cudaErrorInsufficientDriver or cudaErrorNoDevice).
#include <cuda_runtime.h>
#include <string.h>
#include "sculpt_cuda.h"

extern "C" int sculpt_cuda_device_count(int* count) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free error so later calls start clean
        n = 0;
    }
    *count = n;
    return (int) e;
}

extern "C" int sculpt_cuda_device_info(int device, char* name, int len, long long* total_memory) {
    cudaDeviceProp prop;
    cudaError_t e = cudaGetDeviceProperties(&prop, device);
    if (e != cudaSuccess) return (int) e;
    if (name != NULL && len > 0) {
        strncpy(name, prop.name, (size_t) len - 1);
        name[len - 1] = '\0';
    }
    if (total_memory != NULL) *total_memory = (long long) prop.totalGlobalMem;
    return 0;
}

extern "C" const char* sculpt_cuda_error_string(int err) {
    const char* s = cudaGetErrorString((cudaError_t) err);
    return s != NULL ? s : "unknown CUDA error";
}

extern "C" int sculpt_cuda_runtime_version(void) { return CUDART_VERSION; }

extern "C" int sculpt_cuda_malloc(void** ptr, long long bytes) {
    *ptr = NULL;
    return (int) cudaMalloc(ptr, (size_t) (bytes > 0 ? bytes : 1));
}

extern "C" int sculpt_cuda_free(void* ptr) { return ptr == NULL ? 0 : (int) cudaFree(ptr); }

extern "C" int sculpt_cuda_memset_zero(void* ptr, long long bytes) {
    return bytes <= 0 ? 0 : (int) cudaMemset(ptr, 0, (size_t) bytes);
}

extern "C" int sculpt_cuda_memcpy(void* dst, const void* src, long long bytes, int kind) {
    if (bytes <= 0) return 0;
    cudaMemcpyKind k = kind == 1 ? cudaMemcpyHostToDevice : kind == 2 ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
    return (int) cudaMemcpy(dst, src, (size_t) bytes, k);
}

extern "C" int sculpt_cuda_synchronize(void) { return (int) cudaDeviceSynchronize(); }

// Device queries, memory, streams and error text for the Java side. cudart is linked shared (libcudart.so.13), the
// same runtime the org.bytedeco cuda preset's cuBLAS/cuSOLVER use: one runtime, one primary context per device.
// Without a driver the library still loads where libcudart.so.13 is found; the calls then return
// cudaErrorInsufficientDriver or cudaErrorNoDevice.
#include <cuda_runtime.h>
#include <string.h>
#include "sculpt_cuda.h"

// Returns a runtime call's error and clears the thread's last-error state when it failed, so that an expected
// failure (cudaMalloc running out, which the Java arena handles) is not reported again by the next kernel wrapper's
// cudaGetLastError(). Sticky errors (a faulted context) stay: every later call returns them anyway.
static int ret(cudaError_t e) {
    if (e != cudaSuccess) cudaGetLastError();
    return (int) e;
}

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
    return ret(cudaMalloc(ptr, (size_t) (bytes > 0 ? bytes : 1)));
}

extern "C" int sculpt_cuda_free(void* ptr) { return ptr == NULL ? 0 : ret(cudaFree(ptr)); }

extern "C" int sculpt_cuda_memset_zero(void* ptr, long long bytes) {
    return bytes <= 0 ? 0 : ret(cudaMemset(ptr, 0, (size_t) bytes));
}

extern "C" int sculpt_cuda_memcpy(void* dst, const void* src, long long bytes, int kind) {
    if (bytes <= 0) return 0;
    cudaMemcpyKind k = kind == 1 ? cudaMemcpyHostToDevice : kind == 2 ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
    return ret(cudaMemcpy(dst, src, (size_t) bytes, k));
}

extern "C" int sculpt_cuda_synchronize(void) { return (int) cudaDeviceSynchronize(); }

extern "C" int sculpt_cuda_versions(int* driver, int* runtime) {
    *driver = 0;
    *runtime = 0;
    cudaError_t e = cudaRuntimeGetVersion(runtime);
    if (e != cudaSuccess) return (int) e;
    return (int) cudaDriverGetVersion(driver);   // 0 and cudaSuccess when no driver is installed
}

extern "C" int sculpt_cuda_device_capability(int device, int* major, int* minor) {
    cudaError_t e = cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, device);
    if (e != cudaSuccess) return (int) e;
    return (int) cudaDeviceGetAttribute(minor, cudaDevAttrComputeCapabilityMinor, device);
}

extern "C" int sculpt_cuda_mem_info(long long* free_bytes, long long* total_bytes) {
    size_t f = 0, t = 0;
    cudaError_t e = cudaMemGetInfo(&f, &t);
    *free_bytes = (long long) f;
    *total_bytes = (long long) t;
    return (int) e;
}

extern "C" int sculpt_cuda_stream_create(void** stream) {
    cudaStream_t s = NULL;
    cudaError_t e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    *stream = (void*) s;
    return (int) e;
}

extern "C" int sculpt_cuda_stream_destroy(void* stream) {
    return stream == NULL ? 0 : (int) cudaStreamDestroy((cudaStream_t) stream);
}

extern "C" int sculpt_cuda_stream_synchronize(void* stream) {
    return ret(cudaStreamSynchronize((cudaStream_t) stream));
}

extern "C" int sculpt_cuda_memcpy_async(void* dst, const void* src, long long bytes, int kind, void* stream) {
    if (bytes <= 0) return 0;
    cudaMemcpyKind k = kind == 1 ? cudaMemcpyHostToDevice : kind == 2 ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
    return ret(cudaMemcpyAsync(dst, src, (size_t) bytes, k, (cudaStream_t) stream));
}

extern "C" int sculpt_cuda_memset_zero_async(void* ptr, long long bytes, void* stream) {
    return bytes <= 0 ? 0 : ret(cudaMemsetAsync(ptr, 0, (size_t) bytes, (cudaStream_t) stream));
}

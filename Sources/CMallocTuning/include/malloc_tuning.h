#ifndef MALLOC_TUNING_H
#define MALLOC_TUNING_H
// Swift's Glibc module does not export <malloc.h>'s mallopt.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
static inline void sg_malloc_keep_freed_memory(int mmap_threshold, int trim_threshold) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
}
#else
static inline void sg_malloc_keep_freed_memory(int mmap_threshold, int trim_threshold) {}
#endif
#endif

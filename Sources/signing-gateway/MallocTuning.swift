import CMallocTuning

/// glibc's allocator hands memory of its per-thread arenas back to the kernel (`madvise`) as soon as the free
/// top exceeds 128 KiB, and serves large blocks with `mmap`. The store, curl and request threads allocate and
/// free the same few hundred KiB for every request, so the defaults turned each request into page faults: the
/// sign path ran about 40 % faster with the thresholds below (`make bench`). Memory once needed is kept for
/// reuse instead of being returned and faulted in again; the peak does not grow.
enum MallocTuning {
    static func apply() {
        sg_malloc_keep_freed_memory(32 * 1024 * 1024, 256 * 1024 * 1024)
    }
}

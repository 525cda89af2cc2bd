//! The process's heap policy for inference's large, short-lived buffers: attention scores
//! and layer activations of megabytes each, allocated and freed in every layer. glibc
//! serves such sizes by mapping fresh pages and unmapping them on free, so each layer
//! paid page faults and zeroing again (15% of a Whisper window's time); kept on the heap
//! and reused, they cost nothing after the first window, and peak memory is unchanged.

/// Allocations up to this come from the heap (glibc's ceiling for the threshold).
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Freed memory at the heap's top is returned to the system only beyond this.
const TRIM_THRESHOLD: i32 = 256 << 20;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    fn mallopt(param: i32, value: i32) -> i32;
}

/// Keeps inference's buffers on the heap between uses (glibc: `M_MMAP_THRESHOLD` 32 MiB,
/// `M_TRIM_THRESHOLD` 256 MiB). Call once at start-up, before threads allocate; true
/// when the policy was set (false on other C libraries, which keep their own).
pub fn keep_buffers_on_heap() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only changes the allocator's thresholds; both values are
        // within glibc's accepted ranges and no allocation is in flight in this call.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = (MMAP_THRESHOLD, TRIM_THRESHOLD);
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_heap_policy() {
        assert!(super::keep_buffers_on_heap());
        // Large buffers still allocate and free as before.
        let v = vec![1u8; 20 << 20];
        assert_eq!(v.iter().map(|&b| b as usize).sum::<usize>(), 20 << 20);
    }
}

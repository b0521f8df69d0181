//! The process's peak resident memory, for the summaries of jobs (a measurement, not a limit).

use serde::Serialize;

/// Memory used by the process so far, as reported in `summary.json` and `align --json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Peak resident set size in bytes (Linux only; absent elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
}

impl Memory {
    /// The figures now.
    pub fn now() -> Self {
        Memory {
            peak_rss_bytes: peak_rss_bytes(),
        }
    }
}

/// A value serialized with a `memory` field after its own fields.
#[derive(Serialize)]
pub struct WithMemory<'a, T: Serialize> {
    /// The value.
    #[serde(flatten)]
    pub value: &'a T,
    /// The memory used.
    pub memory: Memory,
}

/// `value` with the memory used so far.
pub fn with_memory<T: Serialize>(value: &T) -> WithMemory<'_, T> {
    WithMemory {
        value,
        memory: Memory::now(),
    }
}

/// Peak resident set size of this process in bytes ("high water mark", `VmHWM` in
/// `/proc/self/status`); `None` where the platform does not report it.
pub fn peak_rss_bytes() -> Option<u64> {
    crate::spill::peak_rss()
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn linux_reports_a_plausible_peak() {
        let peak = super::peak_rss_bytes().expect("Linux has VmHWM");
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let after = super::peak_rss_bytes().unwrap();
        assert!(after >= peak && after >= 64 << 20, "{peak} -> {after}");
    }
}

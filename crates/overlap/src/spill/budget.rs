//! The memory budget: how many bytes a job's large, growable state may take before it goes to disk.

use crate::error::{Error, Result};
use std::fmt;

/// A memory budget in bytes. The budget bounds what grows with the corpus and can be spilled (shingles,
/// band keys, candidate pairs, verification sets); the per-document state that stays in RAM (ids,
/// exact-duplicate links) is counted in the estimates a job reports but is not spilled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MemoryBudget(u64);

impl MemoryBudget {
    /// The smallest budget accepted: 1 MiB (small budgets exist to test the spill paths).
    pub const MIN: u64 = 1 << 20;
    /// The largest default: 4 GiB.
    pub const DEFAULT_MAX: u64 = 4 << 30;
    /// The smallest default: 256 MiB.
    pub const DEFAULT_MIN: u64 = 256 << 20;

    /// A budget of `bytes` (at least [`MemoryBudget::MIN`]).
    pub fn bytes(bytes: u64) -> Result<Self> {
        if bytes < Self::MIN {
            return Err(Error::Config(format!(
                "memory budget must be at least 1MiB, got {}",
                format_size(bytes)
            )));
        }
        Ok(MemoryBudget(bytes))
    }

    /// The default: a quarter of the machine's physical memory, between 256 MiB and 4 GiB (2 GiB when
    /// the physical memory cannot be read). A quarter leaves room for the per-document state outside
    /// the budget, the page cache that spilled runs are read through, and other processes.
    pub fn default_for_machine() -> Self {
        let total = physical_memory().unwrap_or(8 << 30);
        MemoryBudget((total / 4).clamp(Self::DEFAULT_MIN, Self::DEFAULT_MAX))
    }

    /// The budget in bytes.
    pub fn get(self) -> u64 {
        self.0
    }

    /// `numerator / denominator` of the budget, at least 64 KiB: the share of one stage's buffer.
    pub fn share(self, numerator: u64, denominator: u64) -> usize {
        (self.0 / denominator * numerator).max(64 << 10) as usize
    }
}

impl Default for MemoryBudget {
    fn default() -> Self {
        Self::default_for_machine()
    }
}

impl fmt::Display for MemoryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_size(self.0))
    }
}

impl std::str::FromStr for MemoryBudget {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        MemoryBudget::bytes(parse_size(s)?)
    }
}

/// Parse a size: a number with an optional unit, `B`, `KB`/`MB`/`GB`/`TB` (powers of 1000) or
/// `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024); `K`, `M`, `G`, `T` alone are binary, as in `sort -S`.
/// Case does not matter; a fraction is allowed (`1.5GiB`).
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = || {
        Error::Config(format!(
            "invalid size {s:?}: expected a number with an optional unit such as 512MiB, 4GiB or 2G"
        ))
    };
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(bad()),
    };
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// `bytes` in the largest binary unit that keeps it at or above 1 (`32MiB`, `1.5GiB`).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value}{}", UNITS[unit])
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

/// Physical memory in bytes (`MemTotal` of `/proc/meminfo` on Linux; `None` elsewhere).
pub fn physical_memory() -> Option<u64> {
    proc_field("/proc/meminfo", "MemTotal:")
}

/// The peak resident set size of this process (`VmHWM` of `/proc/self/status` on Linux; `None`
/// elsewhere).
pub fn peak_rss() -> Option<u64> {
    proc_field("/proc/self/status", "VmHWM:")
}

fn proc_field(path: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_both_unit_systems() {
        assert_eq!(parse_size("4GiB").unwrap(), 4 << 30);
        assert_eq!(parse_size("32MiB").unwrap(), 32 << 20);
        assert_eq!(parse_size("2g").unwrap(), 2 << 30);
        assert_eq!(parse_size("1.5KiB").unwrap(), 1536);
        assert_eq!(parse_size("3MB").unwrap(), 3_000_000);
        assert_eq!(parse_size("100").unwrap(), 100);
        for bad in ["", "GiB", "4 parsecs", "-1G", "1e400G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!("512KiB".parse::<MemoryBudget>().is_err());
        assert_eq!(format_size(32 << 20), "32MiB");
        assert_eq!(format_size(1536 << 20), "1.5GiB");
    }

    #[test]
    fn the_default_stays_within_its_bounds() {
        let d = MemoryBudget::default_for_machine().get();
        assert!((MemoryBudget::DEFAULT_MIN..=MemoryBudget::DEFAULT_MAX).contains(&d));
    }
}

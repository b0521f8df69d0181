//! Prometheus text metrics: request counts by route, method and status, latency histograms by
//! route, and the index's size.
//!
//! Memory: one counter per (route, method, status) seen and one histogram per route.

use overlap::index::Stats;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, String, u16), u64>,
    latency: BTreeMap<&'static str, Histogram>,
}

/// The service's counters.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Count one request.
    pub fn record(&self, route: &'static str, method: &str, status: u16, took: Duration) {
        let Ok(mut m) = self.inner.lock() else {
            return;
        };
        *m.requests
            .entry((route, method.to_string(), status))
            .or_default() += 1;
        let h = m.latency.entry(route).or_default();
        let secs = took.as_secs_f64();
        for (i, &bound) in BUCKETS.iter().enumerate() {
            if secs <= bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The exposition text.
    pub fn render(&self, stats: &Stats) -> String {
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP overlap_requests_total HTTP requests by route, method and status.\n");
        out.push_str("# TYPE overlap_requests_total counter\n");
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "overlap_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP overlap_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE overlap_request_duration_seconds histogram\n");
        for (route, h) in &m.latency {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "overlap_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "overlap_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "overlap_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "overlap_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        for (name, help, value) in [
            (
                "overlap_index_documents",
                "Documents in the index.",
                stats.documents,
            ),
            (
                "overlap_index_exact_groups",
                "Distinct normalized texts.",
                stats.exact_groups,
            ),
            (
                "overlap_index_near_pairs",
                "Verified near-duplicate pairs.",
                stats.near_pairs,
            ),
            (
                "overlap_index_file_bytes",
                "Size of the index file.",
                stats.file_bytes,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        // A merge that failed after its batch was answered changes no document; it is counted so
        // that a lasting storage problem shows before a commit fails.
        let _ = writeln!(
            out,
            "# HELP overlap_index_merge_failures_total Merges of the recent level that failed \
             after their batch was committed (this process).\n\
             # TYPE overlap_index_merge_failures_total counter\n\
             overlap_index_merge_failures_total {}",
            stats.merge_failures.count
        );
        out
    }
}

//! Stories: documents linked by reuse, clustered with a guard against chains.
//!
//! Related pairs are taken strongest first, as in single-linkage clustering, with one difference: two
//! clusters of several documents merge only when at least `min_cross_edges` related pairs join them
//! and those pairs are at least `cross_density` of all the pairs between them. A lone document joins
//! the cluster of its strongest partner, but one weak edge (a round-up quoting two stories, a shared
//! stock paragraph) never fuses two stories that already have their own cores.

use crate::cluster::UnionFind;
use std::collections::HashMap;

/// Parameters of story clustering.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryParams {
    /// Fewest related pairs between two multi-document clusters for them to merge. Default: 2.
    pub min_cross_edges: usize,
    /// Least share of all pairs between two multi-document clusters that must be related for them
    /// to merge. Default: 0.1.
    pub cross_density: f64,
}

impl Default for StoryParams {
    fn default() -> Self {
        StoryParams {
            min_cross_edges: 2,
            cross_density: 0.1,
        }
    }
}

/// For each of `n` documents, its story's representative (the story's first document), given the
/// related pairs `(a, b, score)`.
pub fn stories(n: usize, edges: &[(u32, u32, f64)], params: &StoryParams) -> Vec<u32> {
    let mut order: Vec<&(u32, u32, f64)> = edges.iter().collect();
    order.sort_by(|x, y| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    let mut uf = UnionFind::new(n);
    let mut size = vec![1usize; n];
    // Related pairs counted between the roots of multi-document clusters.
    let mut cross: HashMap<u32, HashMap<u32, usize>> = HashMap::new();
    for &&(a, b, _) in &order {
        let (ra, rb) = (uf.find(a), uf.find(b));
        if ra == rb {
            continue;
        }
        let (sa, sb) = (size[ra as usize], size[rb as usize]);
        let merge = if sa == 1 || sb == 1 {
            true
        } else {
            let count = {
                let c = cross.entry(ra).or_default().entry(rb).or_default();
                *c += 1;
                *c
            };
            *cross.entry(rb).or_default().entry(ra).or_default() = count;
            count >= params.min_cross_edges
                && count as f64 >= params.cross_density * (sa * sb) as f64
        };
        if merge {
            uf.union(ra, rb);
            let root = uf.find(ra);
            let loser = if root == ra { rb } else { ra };
            size[root as usize] = sa + sb;
            // The merged cluster inherits the loser's counts towards every other cluster.
            let moved = cross.remove(&loser).unwrap_or_default();
            for (other, c) in moved {
                if other == root {
                    continue;
                }
                *cross.entry(root).or_default().entry(other).or_default() += c;
                if let Some(m) = cross.get_mut(&other) {
                    m.remove(&loser);
                    *m.entry(root).or_default() += c;
                }
            }
            if let Some(m) = cross.get_mut(&root) {
                m.remove(&loser);
            }
        }
    }
    uf.representatives()
}

/// A date reduced to a sortable `(year, month, day, hour, minute, second)`: ISO 8601 text (any
/// separators, time optional, time zone ignored) or a Unix time in seconds or milliseconds.
pub fn date_key(text: &str) -> Option<[i64; 6]> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.len() >= 9 {
        let mut secs: i64 = t.parse().ok()?;
        if t.len() >= 12 {
            secs /= 1000;
        }
        return Some(from_unix(secs));
    }
    let numbers: Vec<i64> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .take(6)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    if numbers.len() < 3 || !(1000..=9999).contains(&numbers[0]) {
        return None;
    }
    let mut key = [0i64; 6];
    key[..numbers.len()].copy_from_slice(&numbers);
    Some(key)
}

/// Civil date and time of a Unix time (proleptic Gregorian, UTC).
fn from_unix(secs: i64) -> [i64; 6] {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    [year, month, day, rem / 3600, rem % 3600 / 60, rem % 60]
}

/// For each story with at least two documents and a dated member, its likely origin: the earliest
/// dated document (the first in input order among equals). Returned per document as the origin's
/// index, `None` where unknown.
pub fn origins(stories: &[u32], dates: &[Option<[i64; 6]>]) -> Vec<Option<u32>> {
    let mut best: HashMap<u32, ([i64; 6], u32)> = HashMap::new();
    let mut size: HashMap<u32, usize> = HashMap::new();
    for (d, &s) in stories.iter().enumerate() {
        *size.entry(s).or_default() += 1;
        if let Some(date) = dates[d] {
            let e = best.entry(s).or_insert((date, d as u32));
            if date < e.0 {
                *e = (date, d as u32);
            }
        }
    }
    stories
        .iter()
        .map(|s| (size[s] > 1).then(|| best.get(s).map(|b| b.1)).flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weak_edge_does_not_fuse_two_stories() {
        // Story one: 0-1-2 (a triangle); story two: 3-4-5; one weak edge 2-3.
        let edges = [
            (0, 1, 0.9),
            (1, 2, 0.8),
            (0, 2, 0.85),
            (3, 4, 0.9),
            (4, 5, 0.9),
            (3, 5, 0.7),
            (2, 3, 0.3),
        ];
        let s = stories(6, &edges, &StoryParams::default());
        assert_eq!(s, [0, 0, 0, 3, 3, 3]);
        // Plain transitive closure would have fused them.
        let closure = crate::cluster::connected_components(6, edges.iter().map(|e| (e.0, e.1)));
        assert_eq!(closure, [0; 6]);
    }

    #[test]
    fn well_connected_clusters_merge_and_lone_documents_join() {
        let edges = [
            (0, 1, 0.9),
            (2, 3, 0.9),
            (0, 2, 0.5),
            (1, 3, 0.5),
            (4, 0, 0.2),
        ];
        assert_eq!(stories(5, &edges, &StoryParams::default()), [0, 0, 0, 0, 0]);
    }

    #[test]
    fn dates_parse_and_order() {
        assert_eq!(
            date_key("2022-07-29T10:15:00Z"),
            Some([2022, 7, 29, 10, 15, 0])
        );
        assert_eq!(date_key("2022-07-29"), Some([2022, 7, 29, 0, 0, 0]));
        assert_eq!(date_key("1659089700"), Some([2022, 7, 29, 10, 15, 0]));
        assert_eq!(date_key("1659089700000"), Some([2022, 7, 29, 10, 15, 0]));
        assert_eq!(date_key("yesterday"), None);
        assert!(date_key("2022-07-28 23:00") < date_key("2022-07-29"));
    }

    #[test]
    fn origin_is_the_earliest_member() {
        let stories = [0, 0, 0, 3];
        let dates = [
            date_key("2022-07-30"),
            date_key("2022-07-29"),
            None,
            date_key("2020-01-01"),
        ];
        assert_eq!(origins(&stories, &dates), [Some(1), Some(1), Some(1), None]);
    }
}

//! Union-find over document indices, and cluster assignment with a representative per cluster.
//!
//! Memory: two `u32` per document.

/// Disjoint sets over `0..n` with path halving and union by size.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    ///
    /// # Panics
    /// If `n` exceeds `u32::MAX`: document indices are 32-bit throughout the engine.
    pub fn new(n: usize) -> Self {
        assert!(n <= u32::MAX as usize, "at most 2^32 - 1 elements");
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Add singleton sets until there are `n` elements (never shrinks).
    ///
    /// # Panics
    /// If `n` exceeds `u32::MAX`.
    pub fn grow(&mut self, n: usize) {
        assert!(n <= u32::MAX as usize, "at most 2^32 - 1 elements");
        let old = self.parent.len();
        if n > old {
            self.parent.extend(old as u32..n as u32);
            self.size.resize(n, 1);
        }
    }

    /// The root of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Merge the sets of `a` and `b`; returns false if they were already one set.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        true
    }

    /// For every element, the smallest element of its set: the cluster's representative when
    /// elements are numbered in input order.
    pub fn representatives(&mut self) -> Vec<u32> {
        let n = self.parent.len();
        let mut first_of_root = vec![u32::MAX; n];
        (0..n as u32)
            .map(|i| {
                let root = self.find(i) as usize;
                if first_of_root[root] == u32::MAX {
                    first_of_root[root] = i;
                }
                first_of_root[root]
            })
            .collect()
    }
}

/// Clusters as the connected components of `edges` over `0..n`: the representative of each element.
pub fn connected_components(n: usize, edges: impl IntoIterator<Item = (u32, u32)>) -> Vec<u32> {
    let mut uf = UnionFind::new(n);
    for (a, b) in edges {
        uf.union(a, b);
    }
    uf.representatives()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn representative_is_the_first_member() {
        let reps = connected_components(6, [(4, 2), (5, 4), (1, 3)]);
        assert_eq!(reps, [0, 1, 2, 1, 2, 2]);
    }

    /// Components by breadth-first search, as an independent reference.
    fn bfs_components(n: usize, edges: &[(u32, u32)]) -> Vec<u32> {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
        let mut rep = vec![u32::MAX; n];
        for start in 0..n {
            if rep[start] != u32::MAX {
                continue;
            }
            let mut queue = vec![start as u32];
            rep[start] = start as u32;
            while let Some(x) = queue.pop() {
                for &y in &adj[x as usize] {
                    if rep[y as usize] == u32::MAX {
                        rep[y as usize] = start as u32;
                        queue.push(y);
                    }
                }
            }
        }
        rep
    }

    proptest! {
        #[test]
        fn clusters_equal_connected_components(
            n in 1usize..200,
            raw in proptest::collection::vec((0u32..200, 0u32..200), 0..300),
        ) {
            let edges: Vec<(u32, u32)> =
                raw.into_iter().map(|(a, b)| (a % n as u32, b % n as u32)).collect();
            prop_assert_eq!(connected_components(n, edges.iter().copied()), bfs_components(n, &edges));
        }
    }
}

//! A first-level index over sorted range starts, by their top 16 bits.
//!
//! Why: a binary search over the shipped tables (412 k IPv4 ASN ranges)
//! takes about nineteen steps, and for the addresses of a real feed, spread
//! over the whole address space, the last dozen of them are cache misses:
//! in a 1 M-row URLhaus ingest the IP look-up was 4 % of all CPU time,
//! where the bench's 1,024 repeating addresses showed 91 ns. The index
//! (65,537 counts, 256 KiB) narrows the search to the ranges that start
//! under the address's /16 (for IPv6, its first 16 bits), a handful.

/// A key whose top 16 bits pick its bucket (IPv4 and IPv6 addresses as
/// integers; sealed: the module is private).
pub trait Top16: Copy + Ord {
    /// The top 16 bits.
    fn top16(self) -> usize;
}

impl Top16 for u32 {
    fn top16(self) -> usize {
        (self >> 16) as usize
    }
}

impl Top16 for u128 {
    fn top16(self) -> usize {
        (self >> 112) as usize
    }
}

/// `index[b]`: how many starts have top 16 bits below `b` (65,537 entries;
/// empty until built, when searches take the whole slice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TopIndex(Vec<u32>);

impl TopIndex {
    /// The fewest items indexed.
    pub(crate) const MIN_ITEMS: usize = 64;

    /// The index of `starts`, which are sorted.
    pub(crate) fn build<T: Top16>(starts: &[T]) -> TopIndex {
        TopIndex::build_by(starts, |s| *s)
    }

    /// The index of `items`, sorted by `key`; none for fewer than
    /// [`TopIndex::MIN_ITEMS`] (their search stays in a few cache lines,
    /// and a warninglist set holds dozens of small CIDR lists).
    pub(crate) fn build_by<E, T: Top16>(items: &[E], key: impl Fn(&E) -> T) -> TopIndex {
        if items.len() < TopIndex::MIN_ITEMS {
            return TopIndex::default();
        }
        let Ok(total) = u32::try_from(items.len()) else {
            return TopIndex::default();
        };
        let mut index = vec![0u32; (1 << 16) + 1];
        for s in items {
            if let Some(n) = index.get_mut(key(s).top16() + 1) {
                *n += 1;
            }
        }
        let mut sum = 0u32;
        for n in &mut index {
            sum += *n;
            *n = sum;
        }
        debug_assert_eq!(sum, total);
        TopIndex(index)
    }

    /// `starts.partition_point(|s| *s <= x)`, searching only `x`'s bucket.
    ///
    /// Every start in a lower bucket is below `x` and every start in a
    /// higher one above it, so the answer lies within the bucket's bounds.
    #[inline]
    pub(crate) fn upper<T: Top16>(&self, starts: &[T], x: T) -> usize {
        self.upper_by(starts, x, |s| *s)
    }

    /// [`TopIndex::upper`] over `items` sorted by `key`.
    #[inline]
    pub(crate) fn upper_by<E, T: Top16>(&self, items: &[E], x: T, key: impl Fn(&E) -> T) -> usize {
        let b = x.top16();
        let bounds = self
            .0
            .get(b)
            .zip(self.0.get(b + 1))
            .map(|(lo, hi)| (*lo as usize, *hi as usize));
        match bounds.and_then(|(lo, hi)| Some((lo, items.get(lo..hi)?))) {
            Some((lo, bucket)) => lo + bucket.partition_point(|s| key(s) <= x),
            None => items.partition_point(|s| key(s) <= x),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::TopIndex;

    proptest! {
        /// The indexed search answers as a search of the whole slice does.
        #[test]
        fn upper_is_partition_point(
            mut starts in proptest::collection::vec(any::<u32>(), 0..300),
            clustered in proptest::collection::vec(0u32..0x0003_ffff, 0..300),
            probes in proptest::collection::vec(any::<u32>(), 1..50),
        ) {
            starts.extend(clustered);
            starts.sort_unstable();
            let index = TopIndex::build(&starts);
            let near: Vec<u32> = starts.iter().flat_map(|s| [s.wrapping_sub(1), *s, s.wrapping_add(1)]).collect();
            for x in probes.iter().chain(&near).chain(&[0, u32::MAX]) {
                prop_assert_eq!(index.upper(&starts, *x), starts.partition_point(|s| s <= x));
            }
            let wide: Vec<u128> = starts.iter().map(|s| u128::from(*s) << 96).collect();
            let wide_index = TopIndex::build(&wide);
            for x in probes.iter().chain(&near) {
                let x = u128::from(*x) << 96 | 7;
                prop_assert_eq!(wide_index.upper(&wide, x), wide.partition_point(|s| *s <= x));
            }
            prop_assert_eq!(TopIndex::default().upper(&starts, 5), starts.partition_point(|s| *s <= 5));
        }
    }
}

//! Deterministic sharding of a plan: `index/count` takes every `count`-th arrival and VU.

use std::fmt;
use std::str::FromStr;

/// A fixed, disjoint share of a plan. Segments `0/n … (n-1)/n` together are the whole plan.
///
/// Arrival `j` (in schedule order) and VU `v` belong to segment `j % count` and `v % count`.
/// Segments nest: a thread's segment inside a machine's segment is [`Segment::refine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment {
    /// Which share, `0 <= index < count`.
    pub index: u64,
    /// Into how many shares the plan is split.
    pub count: u64,
}

impl Segment {
    /// The whole plan.
    pub const WHOLE: Segment = Segment { index: 0, count: 1 };

    /// `index/count`; `None` if `count == 0` or `index >= count`.
    pub fn new(index: u64, count: u64) -> Option<Segment> {
        (count > 0 && index < count).then_some(Segment { index, count })
    }

    /// True if global item `n` (an arrival index or a VU id) belongs to this segment.
    #[inline]
    pub fn contains(&self, n: u64) -> bool {
        n % self.count == self.index
    }

    /// Part `part` of `parts` of this segment, as one flat segment of the whole plan.
    ///
    /// Items of `self` are `index + k*count`; taking every `parts`-th of those is the flat
    /// segment `(index + part*count) / (count*parts)`.
    pub fn refine(&self, part: u64, parts: u64) -> Segment {
        assert!(parts > 0 && part < parts, "part {part} of {parts}");
        Segment {
            index: self.index + part * self.count,
            count: self.count * parts,
        }
    }

    /// How many of `0..total` belong to this segment.
    pub fn share_of(&self, total: u64) -> u64 {
        if total > self.index {
            (total - self.index).div_ceil(self.count)
        } else {
            0
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why a segment string is not `i/n` with `0 <= i < n`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("segment `{0}` is not of the form i/n (e.g. 0/3)")]
    NotIOverN(String),
    #[error("segment index `{0}` is not a number")]
    BadIndex(String),
    #[error("segment count `{0}` is not a number")]
    BadCount(String),
    #[error("segment `{0}`: need 0 <= i < n")]
    OutOfRange(String),
}

impl FromStr for Segment {
    type Err = SegmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| SegmentError::NotIOverN(s.to_string()))?;
        let i: u64 = i
            .trim()
            .parse()
            .map_err(|_| SegmentError::BadIndex(i.to_string()))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| SegmentError::BadCount(n.to_string()))?;
        Segment::new(i, n).ok_or_else(|| SegmentError::OutOfRange(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refined_segments_partition_the_parent() {
        let parent = Segment::new(1, 3).unwrap();
        for n in 0..300u64 {
            let owners = (0..4).filter(|p| parent.refine(*p, 4).contains(n)).count();
            assert_eq!(owners, usize::from(parent.contains(n)));
        }
    }

    #[test]
    fn share_counts_add_up() {
        for total in 0..50 {
            let sum: u64 = (0..7)
                .map(|i| Segment::new(i, 7).unwrap().share_of(total))
                .sum();
            assert_eq!(sum, total);
        }
        assert_eq!(
            "2/5".parse::<Segment>().unwrap(),
            Segment::new(2, 5).unwrap()
        );
        assert!("5/5".parse::<Segment>().is_err());
    }
}

//! From byte offsets in the parsed (interpolated) text to line and column in the file.

use std::ops::Range;

/// Replaced regions, in order: `original` bytes of the file became `output` bytes.
#[derive(Debug, Default, Clone)]
pub(crate) struct OffsetMap {
    edits: Vec<(Range<usize>, Range<usize>)>,
}

impl OffsetMap {
    /// Records that `original` was replaced by `output` (both after every earlier edit).
    pub fn push(&mut self, original: Range<usize>, output: Range<usize>) {
        self.edits.push((original, output));
    }

    /// The file offset of output offset `out`; inside a replacement, where it began.
    pub fn to_original(&self, out: usize) -> usize {
        let mut shifted = out;
        for (orig, output) in &self.edits {
            if out < output.start {
                break;
            }
            if out < output.end {
                return orig.start;
            }
            shifted = out - output.end + orig.end;
        }
        shifted
    }
}

/// Turns offsets of the parsed text into 1-based line and column (in characters) of the file.
#[derive(Debug)]
pub(crate) struct Locator {
    original: String,
    line_starts: Vec<usize>,
    map: OffsetMap,
}

impl Locator {
    pub fn new(original: &str, map: OffsetMap) -> Self {
        let line_starts = std::iter::once(0)
            .chain(original.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator {
            original: original.to_string(),
            line_starts,
            map,
        }
    }

    /// Line and column of offset `out` of the parsed text.
    pub fn locate(&self, out: usize) -> (usize, usize) {
        self.locate_original(self.map.to_original(out))
    }

    /// Line and column of byte offset `at` of the file itself.
    pub fn locate_original(&self, at: usize) -> (usize, usize) {
        let mut at = at.min(self.original.len());
        while !self.original.is_char_boundary(at) {
            at -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= at);
        let start = self.line_starts[line - 1];
        (line, self.original[start..at].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_in_characters() {
        let l = Locator::new("ab\nµx\n", OffsetMap::default());
        assert_eq!(l.locate(0), (1, 1));
        assert_eq!(l.locate(3), (2, 1));
        assert_eq!(l.locate(5), (2, 2)); // after the two-byte µ
        assert_eq!(l.locate(4), (2, 1)); // inside µ: backs off to its start
        assert_eq!(l.locate(99), (3, 1));
    }

    #[test]
    fn offsets_after_an_edit_shift_back() {
        let mut m = OffsetMap::default();
        m.push(2..9, 2..4); // "${LONG}" (7 bytes) became "ab"
        assert_eq!(m.to_original(1), 1);
        assert_eq!(m.to_original(3), 2);
        assert_eq!(m.to_original(4), 9);
        assert_eq!(m.to_original(6), 11);
    }
}

//! Byte offset → (line, column) for one file.

/// Start offsets of every line, so that positions are found by binary search.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i as u32 + 1);
            }
        }
        LineIndex { starts, ascii: text.is_ascii() }
    }

    /// 1-based line and 1-based column in characters of a byte offset. An offset inside a
    /// multi-byte character counts as that character. A byte order mark takes no column: editors
    /// do not show it.
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.line(offset) as usize - 1;
        let mut start = self.starts[line] as usize;
        if line == 0 && text.starts_with('\u{feff}') {
            start = '\u{feff}'.len_utf8();
            if offset <= start {
                return (1, 1);
            }
        }
        let col = if self.ascii {
            offset - start
        } else {
            let mut end = offset;
            while end > start && !text.is_char_boundary(end) {
                end -= 1;
            }
            text[start..end].chars().count()
        };
        (line as u32 + 1, col as u32 + 1)
    }

    /// The 1-based line of a byte offset; an offset past the end is on the last line.
    pub fn line(&self, offset: usize) -> u32 {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        self.starts.partition_point(|&s| s <= offset) as u32
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.starts.get(line.checked_sub(1)? as usize).map(|s| *s as usize)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let text = "a: é\nbb: x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 3), (1, 4));
        // "x" is at byte 10 (é takes 2 bytes), line 2 col 5
        assert_eq!(idx.line_col(text, text.find('x').unwrap()), (2, 5));
        assert_eq!(idx.line_col(text, text.len()), (3, 1));
    }

    #[test]
    fn a_byte_order_mark_takes_no_column() {
        let text = "\u{feff}kind: X\r\nb: y\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 1), (1, 1));
        assert_eq!(idx.line_col(text, 3), (1, 1));
        assert_eq!(idx.line_col(text, text.find('X').unwrap()), (1, 7));
        assert_eq!(idx.line_col(text, text.find('y').unwrap()), (2, 4));
    }
}

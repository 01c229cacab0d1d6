//! The lines of one file that one snippet of the human report shows, as miette reads them.
//!
//! miette draws whatever text its `SourceCode` hands it, and draws all of it: every line in full,
//! and an underline as wide as the label's column. Its underline arithmetic goes through `format!`
//! widths, which std limits to 65,535, so a label further right on a line panics (one-line JSON
//! from `kubectl get -o json | jq -c` does this). [`Excerpt`] is therefore what we hand it instead
//! of the file: only the lines around the labels, each line longer than a budget cut to windows
//! around the labels on it (`…` where text is left out), and control characters as
//! [`printable_char`] shows them. Every character of the file that is shown stays one character,
//! so the excerpt maps back to file offsets, and the `file:line:col` of a snippet's header is the
//! file's own.

use super::{printable, printable_char};
use crate::source::{SourceFile, Span};
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Lines shown before the first label and after the last one (miette's own default).
const CONTEXT_LINES: u32 = 1;
/// The fewest characters a window shows around each label of a long line with many labels.
const MIN_WINDOW: usize = 16;
/// A long line shows about this many budgets of characters at most, however many labels are on
/// it, so that miette's column arithmetic stays far below 65,536 (a character takes at most 4
/// columns, a tab). The first span's window is always shown; labels on windows past that are drawn
/// where the shown text before them stops.
const MAX_BUDGETS: usize = 4;
/// Stands for the text of a long line left out of the excerpt.
const ELLIPSIS: char = '…';

/// File text `from..to` copied to the excerpt at `at..at + len` (made printable, so the same
/// number of characters, not always the same number of bytes).
#[derive(Debug)]
struct Piece {
    at: usize,
    len: usize,
    from: usize,
    to: usize,
}

#[derive(Debug)]
pub(super) struct Excerpt<'a> {
    file: &'a SourceFile,
    /// The file name as shown in the header.
    name: String,
    text: String,
    /// 1-based line number of the excerpt's first line.
    first_line: u32,
    line_count: usize,
    /// In the order of both the file and the excerpt.
    pieces: Vec<Piece>,
}

impl<'a> Excerpt<'a> {
    /// The lines of `file` around `spans`, a line longer than `budget` characters cut to windows
    /// around the spans on it (the first span's start always shown, so that the header can give
    /// its place); and each span, clamped to the file, as a span of the excerpt.
    pub(super) fn new(file: &'a SourceFile, spans: &[Span], budget: usize) -> (Excerpt<'a>, Vec<SourceSpan>) {
        let text = file.text.as_str();
        let spans: Vec<(usize, usize)> = spans.iter().map(|s| clamp(text, *s)).collect();
        let lines = &file.lines;
        let first = spans.iter().map(|&(s, _)| lines.line(s)).min().unwrap_or(1);
        let last = spans.iter().map(|&(s, e)| lines.line(if e > s { e - 1 } else { s })).max().unwrap_or(1);
        let first = first.saturating_sub(CONTEXT_LINES).max(1);
        let last = last.saturating_add(CONTEXT_LINES).min(lines.line_count() as u32);
        let mut excerpt = Excerpt {
            file,
            name: printable(&file.name).into_owned(),
            text: String::new(),
            first_line: first,
            line_count: 0,
            pieces: Vec::new(),
        };
        for line in first..=last {
            if line > first {
                excerpt.text.push('\n');
            }
            let start = lines.line_start(line).unwrap_or(text.len());
            let next = lines.line_start(line + 1).unwrap_or(text.len());
            let mut end = if next > start && text.as_bytes()[next - 1] == b'\n' { next - 1 } else { next };
            if end > start && text.as_bytes()[end - 1] == b'\r' {
                end -= 1;
            }
            excerpt.push_line(line, start, end, &spans, budget);
            excerpt.line_count += 1;
        }
        let mapped = spans
            .iter()
            .map(|&(s, e)| {
                let at = excerpt.to_excerpt(s);
                SourceSpan::new(at.into(), excerpt.to_excerpt(e).max(at) - at)
            })
            .collect();
        (excerpt, mapped)
    }

    /// Line `line` of the file, `start..end` without its line break: whole if it has at most
    /// `budget` characters, else one window around each span that starts on it, or ends on it
    /// having started above; merged where they overlap.
    fn push_line(&mut self, line: u32, start: usize, end: usize, spans: &[(usize, usize)], budget: usize) {
        let file = self.file;
        let text = file.text.as_str();
        if end - start <= budget || text[start..end].chars().nth(budget).is_none() {
            self.push_piece(start, end);
            return;
        }
        let anchor = |&(s, e): &(usize, usize)| {
            if file.lines.line(s) == line {
                Some(s.min(end))
            } else if s < start && file.lines.line(e) == line {
                Some(e.min(end))
            } else {
                None
            }
        };
        let primary_here = spans.first().and_then(anchor).is_some();
        let anchors: Vec<usize> = spans.iter().filter_map(anchor).collect();
        let width = (budget.saturating_sub(2) / anchors.len().max(1)).max(MIN_WINDOW);
        let window = |a: usize| {
            let from = back(text, a, width / 3, start);
            let to = forward(text, from, width, end);
            if to == end { (back(text, end, width, start), end) } else { (from, to) }
        };
        let mut windows: Vec<(usize, usize)> = if anchors.is_empty() {
            vec![(start, forward(text, start, budget.saturating_sub(1), end))]
        } else {
            anchors.iter().map(|&a| window(a)).collect()
        };
        // The primary label's window first, then the others from the left while they fit.
        windows[usize::from(primary_here)..].sort_unstable();
        let (mut kept, mut chars) = (Vec::with_capacity(windows.len()), 0);
        for (i, (from, to)) in windows.into_iter().enumerate() {
            let n = text[from..to].chars().count();
            if i == 0 || chars + n <= budget.saturating_mul(MAX_BUDGETS) {
                kept.push((from, to));
                chars += n;
            }
        }
        kept.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(kept.len());
        for (from, to) in kept {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        let mut shown = start;
        for (from, to) in merged {
            if from > shown {
                self.text.push(ELLIPSIS);
            }
            self.push_piece(from, to);
            shown = to;
        }
        if shown < end {
            self.text.push(ELLIPSIS);
        }
    }

    fn push_piece(&mut self, from: usize, to: usize) {
        let at = self.text.len();
        self.text.extend(self.file.text[from..to].chars().map(printable_char));
        self.pieces.push(Piece { at, len: self.text.len() - at, from, to });
    }

    /// Where file offset `offset` is in the excerpt; an offset left out, at the end of the shown
    /// text before it.
    fn to_excerpt(&self, offset: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.from <= offset);
        let Some(p) = i.checked_sub(1).map(|i| &self.pieces[i]) else { return 0 };
        if offset >= p.to {
            return p.at + p.len;
        }
        let chars = self.file.text[p.from..offset].chars().count();
        p.at + self.text[p.at..p.at + p.len].char_indices().nth(chars).map_or(p.len, |(i, _)| i)
    }

    /// The file offset of excerpt offset `at`; for an `…` or a line break, the end of the file
    /// text before it.
    fn to_file(&self, at: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.at <= at);
        let Some(p) = i.checked_sub(1).map(|i| &self.pieces[i]) else {
            return self.pieces.first().map_or(0, |p| p.from);
        };
        if at >= p.at + p.len {
            return p.to;
        }
        let chars = self.text[p.at..at].chars().count();
        p.from + self.file.text[p.from..p.to].char_indices().nth(chars).map_or(p.to - p.from, |(i, _)| i)
    }
}

/// `span` inside `text`, its ends on character boundaries.
fn clamp(text: &str, span: Span) -> (usize, usize) {
    let mut start = (span.start as usize).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// The offset `n` characters after `from`, at most `limit`.
fn forward(text: &str, from: usize, n: usize, limit: usize) -> usize {
    text[from..limit].char_indices().nth(n).map_or(limit, |(i, _)| from + i)
}

/// The offset `n` characters before `from`, at least `limit`.
fn back(text: &str, from: usize, n: usize, limit: usize) -> usize {
    if n == 0 {
        return from;
    }
    text[limit..from].char_indices().rev().nth(n - 1).map_or(limit, |(i, _)| limit + i)
}

impl SourceCode for Excerpt<'_> {
    /// For a label alone (no context lines), miette wants the position for the snippet's header:
    /// the file's line and column. For a snippet, the whole excerpt, whatever span it asks about:
    /// it holds exactly the lines to show.
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let start = span.offset();
        let end = start.checked_add(span.len()).filter(|&e| e <= self.text.len()).ok_or(MietteError::OutOfBounds)?;
        let contents = if context_lines_before == 0 && context_lines_after == 0 {
            let data = &self.text.as_bytes()[start..end];
            let (line, column) = self.file.lines.line_col(&self.file.text, self.to_file(start));
            let line_count = data.iter().filter(|&&b| b == b'\n').count() + 1;
            MietteSpanContents::new_named(
                self.name.clone(),
                data,
                *span,
                line as usize - 1,
                column as usize - 1,
                line_count,
            )
        } else {
            MietteSpanContents::new_named(
                self.name.clone(),
                self.text.as_bytes(),
                SourceSpan::new(0.into(), self.text.len()),
                self.first_line as usize - 1,
                0,
                self.line_count,
            )
        };
        Ok(Box::new(contents))
    }
}

#[cfg(test)]
mod tests {
    use super::Excerpt;
    use crate::source::{FileId, SourceFile, Span};

    fn excerpt(text: &str, spans: &[(usize, usize)], budget: usize) -> (String, Vec<(usize, usize)>, Vec<usize>) {
        let file = SourceFile::new(FileId(0), "f.yaml".into(), text.into());
        let spans: Vec<Span> = spans.iter().map(|&(s, e)| Span::new(FileId(0), s, e)).collect();
        let (e, mapped) = Excerpt::new(&file, &spans, budget);
        let mapped: Vec<(usize, usize)> = mapped.iter().map(|s| (s.offset(), s.offset() + s.len())).collect();
        let back = mapped.iter().map(|&(s, _)| e.to_file(s)).collect();
        (e.text, mapped, back)
    }

    #[test]
    fn short_lines_are_whole_with_a_line_of_context() {
        let text = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let (shown, spans, back) = excerpt(text, &[(10, 11)], 80);
        assert_eq!(shown, "b: 2\nc: 3\nd: 4");
        assert_eq!(spans, [(5, 6)]);
        assert_eq!(back, [10]);
    }

    #[test]
    fn a_long_line_is_cut_around_each_label() {
        let text = format!("{}X{}Y{}\nnext\n", "a".repeat(1000), "b".repeat(1000), "c".repeat(1000));
        let x = 1000;
        let y = 2001;
        let (shown, spans, back) = excerpt(&text, &[(x, x + 1), (y, y + 1)], 60);
        let first = shown.lines().next().unwrap();
        assert!(first.starts_with('…') && first.ends_with('…'), "{first}");
        assert!(first.chars().count() <= 60 + 3, "{first}");
        assert_eq!(&shown[spans[0].0..spans[0].1], "X");
        assert_eq!(&shown[spans[1].0..spans[1].1], "Y");
        assert_eq!(back, [x, y]);
        assert!(shown.ends_with("\nnext"), "{shown}");
    }

    #[test]
    fn a_long_line_with_very_many_labels_stays_bounded() {
        let text = "\t".repeat(100_000);
        for step in [3, 20] {
            // The primary label last on the line, the others close together or spread out.
            let mut spans: Vec<(usize, usize)> = (0..5_000).map(|i| (i * step, i * step + 1)).collect();
            spans.insert(0, (99_990, 99_991));
            let (shown, spans, back) = excerpt(&text, &spans, 50);
            assert!(shown.chars().count() <= 5 * 50 + 20, "{} characters", shown.chars().count());
            assert!(spans.iter().all(|&(s, e)| s <= e && e <= shown.len()));
            assert_eq!(back[0], 99_990);
        }
    }

    #[test]
    fn a_long_label_is_cut_at_the_window() {
        let text = "v".repeat(5000);
        let (shown, spans, back) = excerpt(&text, &[(10, 4000)], 50);
        assert!(shown.chars().count() <= 51, "{shown}");
        assert!(spans[0].1 > spans[0].0 && spans[0].1 <= shown.len());
        assert_eq!(back, [10]);
    }

    #[test]
    fn control_characters_keep_their_place() {
        let text = "k: \"\u{1b}[31mred\u{0}\"\r\nx: é\n";
        let at = text.find("red").unwrap();
        let (shown, spans, back) = excerpt(text, &[(at, at + 3)], 80);
        assert_eq!(shown, "k: \"\u{241b}[31mred\u{2400}\"\nx: é");
        assert_eq!(&shown[spans[0].0..spans[0].1], "red");
        assert_eq!(back, [at]);
    }

    #[test]
    fn spans_past_the_end_and_inside_characters_are_clamped() {
        let text = "é: ü";
        let (shown, spans, back) = excerpt(text, &[(1, 3), (90, 99), (0, 0)], 80);
        assert_eq!(shown, "é: ü");
        assert_eq!(spans, [(0, 3), (6, 6), (0, 0)]);
        assert_eq!(back, [0, 6, 0]);
        assert_eq!(excerpt("", &[(0, 5)], 80).0, "");
    }
}

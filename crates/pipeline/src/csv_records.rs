//! A CSV record reader for the hot feeds (Shadowserver's millions of rows): the same records,
//! field values, line numbers and re-joined `raw` as the `csv` crate's reader with
//! `has_headers(false)` and `flexible(true)`, but simple lines (fields unquoted or quoted without
//! inner quotes, delimiters or line breaks) are split in place with `memchr`, and only the rest
//! go through `csv_core`'s state machine. A property test checks the two readers agree.

use crate::error::PipelineError;
use std::io::BufRead;

pub(crate) struct CsvRecords<'a> {
    input: &'a mut dyn BufRead,
    core: csv_core::Reader,
    delimiter: u8,
    max_line: usize,
    /// Bytes consumed since the last `\n`, for the line limit.
    run: usize,
    /// `csv`'s line counter: 1 + the `\n`s consumed.
    line: u64,
    done: bool,
    /// A `\n` after a `\r` that ended the last record: `csv_core` consumes it with the next
    /// record, so it counts only after that record's position is taken.
    pending_lf: bool,
    /// Where the current record starts, as `csv` reports it.
    position: u64,
    /// The record written back: fields joined by the delimiter, quoted where they must be.
    raw: Vec<u8>,
    /// Field bytes from `csv_core` (the slow path), and their ends.
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// Each field as a range of `raw` (fast path) or of `fields` (slow path).
    bounds: Vec<(usize, usize)>,
    fast: bool,
    /// Where the delimiters and quotes of the current line are.
    marks: Vec<u32>,
}

impl<'a> CsvRecords<'a> {
    pub fn new(input: &'a mut dyn BufRead, delimiter: u8, max_line: usize) -> Self {
        let core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        Self {
            input,
            core,
            delimiter,
            max_line,
            run: 0,
            line: 1,
            done: false,
            pending_lf: false,
            position: 1,
            raw: Vec::with_capacity(1024),
            fields: vec![0; 1024],
            ends: vec![0; 64],
            bounds: Vec::with_capacity(64),
            fast: false,
            marks: Vec::with_capacity(64),
        }
    }

    /// The 1-based line `csv` gives for the current record.
    pub fn record_line(&self) -> u64 {
        self.position
    }

    /// The current record as written back (see `parse::record_raw`).
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    pub fn field(&self, i: usize) -> Option<&[u8]> {
        let (a, b) = *self.bounds.get(i)?;
        Some(if self.fast { &self.raw[a..b] } else { &self.fields[a..b] })
    }

    /// The current record's fields as text; invalid UTF-8 is an error of the record.
    pub fn row(&self) -> Result<Row<'_>, PipelineError> {
        let bad = || PipelineError::record("the record is not valid UTF-8");
        if self.fast {
            // Fields are split at ASCII delimiters, so the whole is valid exactly when each is.
            let buf = std::str::from_utf8(&self.raw).map_err(|_| bad())?;
            Ok(Row { buf, bounds: &self.bounds })
        } else {
            for &(a, b) in &self.bounds {
                std::str::from_utf8(&self.fields[a..b]).map_err(|_| bad())?;
            }
            let end = self.bounds.last().map_or(0, |b| b.1);
            // Each field is valid and they are contiguous, so the whole is too.
            let buf = std::str::from_utf8(&self.fields[..end]).map_err(|_| bad())?;
            Ok(Row { buf, bounds: &self.bounds })
        }
    }

    /// Reads the next record; `Ok(false)` at the end.
    pub fn next_record(&mut self) -> Result<bool, PipelineError> {
        self.raw.clear();
        self.bounds.clear();
        self.position = self.line;
        if std::mem::take(&mut self.pending_lf) {
            self.line += 1;
        }
        if self.done {
            return Ok(false);
        }
        // Blank lines before a record are skipped, as `csv_core` does.
        loop {
            let buf = self.input.fill_buf().map_err(|e| PipelineError::from_io(&e))?;
            let skip = buf.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
            if skip == 0 {
                break;
            }
            self.line += buf[..skip].iter().filter(|b| **b == b'\n').count() as u64;
            check_run(&mut self.run, &buf[..skip], self.max_line)?;
            self.input.consume(skip);
        }
        if self.fast_record()? {
            return Ok(true);
        }
        self.slow_record()
    }

    /// Splits a simple line in place; `Ok(false)` (nothing consumed) when the line is not simple.
    fn fast_record(&mut self) -> Result<bool, PipelineError> {
        let buf = self.input.fill_buf().map_err(|e| PipelineError::from_io(&e))?;
        let Some(nl) = memchr::memchr(b'\n', buf) else { return Ok(false) };
        if self.run + nl > self.max_line {
            return Err(PipelineError::TooLarge { what: "a line", limit: self.max_line as u64 });
        }
        let mut line = &buf[..nl];
        let crlf = line.last() == Some(&b'\r');
        if crlf {
            line = &line[..nl - 1];
        }
        // One pass finds every delimiter and quote of the line; fields are cut between them.
        let d = self.delimiter;
        let n = line.len();
        if !find_marks(line, d, &mut self.marks) {
            return Ok(false);
        }
        let mut marks = self.marks.iter().map(|m| *m as usize);
        let mut at = 0;
        loop {
            let start = self.raw.len();
            let next = if line.get(at) == Some(&b'"') {
                // A quoted field: the next mark must be its closing quote, then a delimiter right
                // after it or the end of the line.
                let _opening = marks.next();
                let close = match marks.next() {
                    Some(q) if line[q] == b'"' => q,
                    _ => return self.undo(),
                };
                self.raw.extend_from_slice(&line[at + 1..close]);
                match marks.next() {
                    Some(m) if m == close + 1 && line[m] == d => Some(m),
                    None if close + 1 == n => None,
                    _ => return self.undo(),
                }
            } else {
                // An unquoted field runs to the next delimiter, and holds no quote.
                match marks.next() {
                    Some(m) if line[m] == d => {
                        self.raw.extend_from_slice(&line[at..m]);
                        Some(m)
                    }
                    Some(_) => return self.undo(),
                    None => {
                        self.raw.extend_from_slice(&line[at..]);
                        None
                    }
                }
            };
            self.bounds.push((start, self.raw.len()));
            let Some(delim) = next else { break };
            // Another field follows (maybe empty).
            at = delim + 1;
            self.raw.push(d);
        }
        self.fast = true;
        if crlf {
            self.pending_lf = true;
        } else {
            self.line += 1;
        }
        self.run = 0;
        self.input.consume(nl + 1);
        Ok(true)
    }

    fn undo(&mut self) -> Result<bool, PipelineError> {
        self.raw.clear();
        self.bounds.clear();
        Ok(false)
    }

    /// One record through `csv_core`, as `csv::Reader::read_byte_record` reads it.
    fn slow_record(&mut self) -> Result<bool, PipelineError> {
        use csv_core::ReadRecordResult as R;
        self.core.set_line(self.line);
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            let input = self.input.fill_buf().map_err(|e| PipelineError::from_io(&e))?;
            let (res, nin, nout, nend) =
                self.core.read_record(input, &mut self.fields[outlen..], &mut self.ends[endlen..]);
            check_run(&mut self.run, &input[..nin], self.max_line)?;
            self.input.consume(nin);
            self.line = self.core.line();
            outlen += nout;
            endlen += nend;
            match res {
                R::InputEmpty => continue,
                R::OutputFull => {
                    let n = self.fields.len().max(4) * 2;
                    self.fields.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.ends.len().max(4) * 2;
                    self.ends.resize(n, 0);
                }
                R::Record => break,
                R::End => {
                    self.done = true;
                    return Ok(false);
                }
            }
        }
        let mut start = 0;
        for &end in &self.ends[..endlen] {
            self.bounds.push((start, end));
            start = end;
        }
        self.fast = false;
        for (i, &(a, b)) in self.bounds.iter().enumerate() {
            if i > 0 {
                self.raw.push(self.delimiter);
            }
            crate::parse::quote_field(&self.fields[a..b], self.delimiter, &mut self.raw);
        }
        Ok(true)
    }
}

/// The positions of the delimiters and quotes of a line, eight bytes at a time; `false` when the
/// line holds a `\r` (which `csv_core` reads as a record end).
fn find_marks(line: &[u8], d: u8, out: &mut Vec<u32>) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of every byte of `x` equal to `b`, exactly.
    let equal = |x: u64, b: u8| {
        let v = x ^ (ONES * u64::from(b));
        !(((v & LOW7) + LOW7) | v) & HIGH
    };
    out.clear();
    if u32::try_from(line.len()).is_err() || memchr::memchr(b'\r', line).is_some() {
        return false;
    }
    // Padding that matches nothing searched for.
    let pad = if d == 0 { 1 } else { 0 };
    let word = |k: usize, x: u64, out: &mut Vec<u32>| {
        let mut m = equal(x, d) | equal(x, b'"');
        while m != 0 {
            out.push((k * 8) as u32 + m.trailing_zeros() / 8);
            m &= m - 1;
        }
    };
    let mut chunks = line.chunks_exact(8);
    for (k, chunk) in (&mut chunks).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        word(k, u64::from_le_bytes(w), out);
    }
    let rest = chunks.remainder();
    let mut w = [pad; 8];
    for (slot, b) in w.iter_mut().zip(rest) {
        *slot = *b;
    }
    word(line.len() / 8, u64::from_le_bytes(w), out);
    true
}

/// Counts bytes since the last line break, refusing lines over the limit.
fn check_run(run: &mut usize, consumed: &[u8], max: usize) -> Result<(), PipelineError> {
    let too_long = || PipelineError::TooLarge { what: "a line", limit: max as u64 };
    match memchr::memrchr(b'\n', consumed) {
        None => *run += consumed.len(),
        Some(last) => {
            let mut prev = None;
            for at in memchr::memchr_iter(b'\n', consumed) {
                let len = match prev {
                    None => *run + at,
                    Some(p) => at - p - 1,
                };
                if len > max {
                    return Err(too_long());
                }
                prev = Some(at);
            }
            *run = consumed.len() - last - 1;
        }
    }
    if *run > max { Err(too_long()) } else { Ok(()) }
}

/// A record's fields as text.
#[derive(Clone, Copy)]
pub(crate) struct Row<'r> {
    buf: &'r str,
    bounds: &'r [(usize, usize)],
}

impl<'r> Row<'r> {
    pub fn get(&self, i: usize) -> Option<&'r str> {
        let (a, b) = *self.bounds.get(i)?;
        self.buf.get(a..b)
    }

    /// The bytes of all the fields.
    pub fn text_len(&self) -> usize {
        self.buf.len()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.bounds.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A record as (line, fields, raw).
    type Record = (u64, Vec<Vec<u8>>, Vec<u8>);

    /// Every record by the `csv` crate's reader.
    fn by_csv(input: &[u8], max: usize) -> Result<Vec<Record>, String> {
        let mut src: &[u8] = input;
        let limits = crate::Limits { max_line: max, ..crate::Limits::default() };
        let mut r = crate::parse::csv_reader(&mut src, b',', &limits);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while crate::parse::next_record(&mut r, &mut rec).map_err(|e| e.code().to_owned())? {
            let line = rec.position().map_or(0, |p| p.line());
            out.push((line, rec.iter().map(<[u8]>::to_vec).collect(), crate::parse::record_raw(&rec, b',')));
        }
        Ok(out)
    }

    fn by_fast(input: &[u8], max: usize, capacity: usize) -> Result<Vec<Record>, String> {
        let mut src = std::io::BufReader::with_capacity(capacity, input);
        let mut r = CsvRecords::new(&mut src, b',', max);
        let mut out = Vec::new();
        while r.next_record().map_err(|e| e.code().to_owned())? {
            let fields: Vec<Vec<u8>> = (0..r.len()).filter_map(|i| r.field(i)).map(<[u8]>::to_vec).collect();
            if let Ok(row) = r.row() {
                assert_eq!(row.len(), fields.len());
                for (i, f) in fields.iter().enumerate() {
                    assert_eq!(row.get(i).map(str::as_bytes), Some(&f[..]));
                }
            }
            out.push((r.record_line(), fields, r.raw().to_vec()));
        }
        Ok(out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn agrees_with_the_csv_crate(
            input in proptest::collection::vec(proptest::sample::select(b"ab,\"\n\r \xc3\xa9".to_vec()), 0..80),
            capacity in 1usize..40,
        ) {
            prop_assert_eq!(by_fast(&input, 1 << 20, capacity), by_csv(&input, 1 << 20));
        }

        #[test]
        fn agrees_on_simple_rows(
            rows in proptest::collection::vec(proptest::collection::vec("[a-z ]{0,5}", 1..5), 0..6),
            quoted in any::<bool>(),
        ) {
            let mut input = String::new();
            for row in &rows {
                let cells: Vec<String> = row.iter().map(|c| if quoted { format!("\"{c}\"") } else { c.clone() }).collect();
                input.push_str(&cells.join(","));
                input.push('\n');
            }
            prop_assert_eq!(by_fast(input.as_bytes(), 1 << 20, 8192), by_csv(input.as_bytes(), 1 << 20));
        }

        #[test]
        fn refuses_long_lines_as_the_csv_reader_does(
            input in proptest::collection::vec(proptest::sample::select(b"ab,\"\n".to_vec()), 0..80),
            max in 1usize..12,
        ) {
            let fast = by_fast(&input, max, 16).is_err();
            let csv = by_csv(&input, max).is_err();
            prop_assert_eq!(fast, csv);
        }
    }
}

//! Event blocks: the stored form of feed events' JSON and `raw`.
//!
//! A feed event is stored as a narrow row (the columns lists filter on: times, classification,
//! source address, AS, owner, deduplication hash) pointing at a slot of a block, and the block
//! holds the JSON of up to [`BLOCK_EVENTS`] consecutive events of one batch, LZ4-compressed.
//! The events of a feed file look alike (the same keys, mostly the same values), so a block
//! compresses several times, and a million events write a few hundred megabytes less; the
//! narrow rows keep the indexes small. `raw` (the line or record the event was read from) is
//! kept beside the JSON as its bytes, not base64, which compresses better; it is put back into
//! the JSON as base64 (IntelMQ's form) when an event is read.
//!
//! Reading an event decompresses its block (about 300 KB for a full block, a fraction of a
//! millisecond); a page of events reads each block it touches once.
//!
//! Uncompressed layout: one format byte ([`FORMAT`]), then per event a little-endian `u32`
//! length and the JSON object (without `raw`), and a `u32` length (`u32::MAX`: no `raw`) and the
//! raw bytes. The whole is compressed as one LZ4 block with its size in front.

use crate::{Result, StorageError};

/// Events per block: small enough that reading one event decompresses little, large enough
/// that the keys repeated from event to event compress away.
pub const BLOCK_EVENTS: u32 = 256;

/// The layout's version, the first byte of every block.
const FORMAT: u8 = 1;

/// No block decompresses to more than this (a corrupt size prefix is refused, not allocated).
const MAX_BLOCK_BYTES: usize = 256 << 20;

const NO_RAW: u32 = u32::MAX;

/// One sealed block: compressed bytes and how many events it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBlock {
    pub events: u32,
    pub data: Vec<u8>,
}

/// Packs events into blocks as they come: [`EventPacker::push`] gives each event its block
/// (an index into the blocks [`EventPacker::take`] returns) and its slot in that block.
#[derive(Debug, Default)]
pub struct EventPacker {
    open: Vec<u8>,
    count: u32,
    sealed: Vec<EventBlock>,
}

impl EventPacker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one event's JSON object (without `raw`) and its raw bytes; returns (block, slot).
    pub fn push(&mut self, json: &str, raw: Option<&[u8]>) -> (u32, u32) {
        if self.count == 0 {
            self.open.clear();
            self.open.push(FORMAT);
        }
        put_bytes(&mut self.open, Some(json.as_bytes()));
        put_bytes(&mut self.open, raw);
        let at = (self.sealed.len() as u32, self.count);
        self.count += 1;
        if self.count == BLOCK_EVENTS {
            self.seal();
        }
        at
    }

    /// Events pushed since the last [`EventPacker::take`].
    pub fn len(&self) -> usize {
        self.sealed.iter().map(|b| b.events as usize).sum::<usize>() + self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn seal(&mut self) {
        if self.count == 0 {
            return;
        }
        let data = lz4_flex::block::compress_prepend_size(&self.open);
        self.sealed.push(EventBlock { events: self.count, data });
        self.count = 0;
        self.open.clear();
    }

    /// Seals the block in hand and returns every block since the last call; the next event
    /// starts block 0 again.
    pub fn take(&mut self) -> Vec<EventBlock> {
        self.seal();
        std::mem::take(&mut self.sealed)
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => {
            // A single JSON object or raw record over 4 GiB cannot reach here: parsers refuse
            // records beyond their line limit long before.
            let len = u32::try_from(b.len()).unwrap_or(NO_RAW - 1);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&b[..len as usize]);
        }
        None => out.extend_from_slice(&NO_RAW.to_le_bytes()),
    }
}

/// Where one event is in a decompressed block: its JSON, and its raw record if it has one.
#[derive(Debug, Clone, Copy)]
struct Slot {
    json: (usize, usize),
    raw: Option<(usize, usize)>,
}

/// A block, decompressed: each event's JSON and raw bytes, by slot.
#[derive(Debug)]
pub struct OpenBlock {
    bytes: Vec<u8>,
    slots: Vec<Slot>,
}

impl OpenBlock {
    /// Decompresses and indexes a stored block; a damaged block is a `StorageError::Corrupt`.
    pub fn open(data: &[u8]) -> Result<OpenBlock> {
        let corrupt = |why: &str| StorageError::corrupt(format!("event block: {why}"));
        let Some(size) = data.get(..4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize) else {
            return Err(corrupt("shorter than its size"));
        };
        if size > MAX_BLOCK_BYTES {
            return Err(corrupt("larger than any block written"));
        }
        let bytes = lz4_flex::block::decompress_size_prepended(data).map_err(|e| corrupt(&e.to_string()))?;
        if bytes.first() != Some(&FORMAT) {
            return Err(corrupt("unknown format"));
        }
        let mut slots = Vec::new();
        let mut at = 1;
        let read_len = |at: &mut usize| -> Result<u32> {
            let s = bytes.get(*at..*at + 4).ok_or_else(|| corrupt("truncated"))?;
            *at += 4;
            Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        while at < bytes.len() {
            let json_len = read_len(&mut at)? as usize;
            let json =
                (at, at.checked_add(json_len).filter(|e| *e <= bytes.len()).ok_or_else(|| corrupt("truncated"))?);
            at = json.1;
            let raw_len = read_len(&mut at)?;
            let raw = if raw_len == NO_RAW {
                None
            } else {
                let end = at
                    .checked_add(raw_len as usize)
                    .filter(|e| *e <= bytes.len())
                    .ok_or_else(|| corrupt("truncated"))?;
                let r = (at, end);
                at = end;
                Some(r)
            };
            slots.push(Slot { json, raw });
        }
        for Slot { json: (a, b), .. } in &slots {
            std::str::from_utf8(&bytes[*a..*b]).map_err(|_| corrupt("JSON that is not UTF-8"))?;
        }
        Ok(OpenBlock { bytes, slots })
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The JSON of the event in `slot`, without `raw`.
    pub fn json(&self, slot: usize) -> Option<&str> {
        let (a, b) = self.slots.get(slot)?.json;
        // Checked in `open`.
        std::str::from_utf8(&self.bytes[a..b]).ok()
    }

    pub fn raw(&self, slot: usize) -> Option<&[u8]> {
        self.slots.get(slot)?.raw.map(|(a, b)| &self.bytes[a..b])
    }

    /// The event in `slot` as one JSON object with `raw` in base64, as IntelMQ writes it.
    pub fn event_json(&self, slot: usize) -> Option<String> {
        let json = self.json(slot)?;
        let Some(raw) = self.raw(slot) else { return Some(json.to_owned()) };
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        let body = json.trim_end().strip_suffix('}')?;
        let mut out = String::with_capacity(json.len() + encoded.len() + 10);
        out.push_str(body);
        if body.trim_end() != "{" {
            out.push(',');
        }
        out.push_str("\"raw\":\"");
        out.push_str(&encoded);
        out.push_str("\"}");
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_back_from_their_block_and_slot() {
        let mut p = EventPacker::new();
        let mut at = Vec::new();
        for i in 0..600u32 {
            let json = format!("{{\"source.ip\":\"192.0.2.{}\",\"extra.n\":{i}}}", i % 256);
            let raw = (i % 3 != 0).then(|| format!("192.0.2.{},{i}\n", i % 256));
            at.push((p.push(&json, raw.as_deref().map(str::as_bytes)), json, raw));
        }
        assert_eq!(p.len(), 600);
        let blocks = p.take();
        assert_eq!(blocks.iter().map(|b| b.events).collect::<Vec<_>>(), vec![256, 256, 88]);
        assert!(p.is_empty());
        let open: Vec<OpenBlock> = blocks.iter().map(|b| OpenBlock::open(&b.data).unwrap()).collect();
        for ((block, slot), json, raw) in at {
            let b = &open[block as usize];
            assert_eq!(b.json(slot as usize), Some(json.as_str()));
            assert_eq!(b.raw(slot as usize), raw.as_deref().map(str::as_bytes));
            let whole: serde_json::Value = serde_json::from_str(&b.event_json(slot as usize).unwrap()).unwrap();
            use base64::Engine;
            let expected = raw.map(|r| base64::engine::general_purpose::STANDARD.encode(r));
            assert_eq!(whole.get("raw").and_then(|v| v.as_str()), expected.as_deref());
        }
        // Similar events compress several times.
        let stored: usize = blocks.iter().map(|b| b.data.len()).sum();
        assert!(stored * 3 < 600 * 60, "{stored} bytes");
    }

    #[test]
    fn an_empty_object_takes_raw_without_a_stray_comma() {
        let mut p = EventPacker::new();
        p.push("{}", Some(b"x"));
        let b = OpenBlock::open(&p.take()[0].data).unwrap();
        assert_eq!(b.event_json(0).unwrap(), "{\"raw\":\"eA==\"}");
    }

    #[test]
    fn damaged_blocks_are_refused_not_trusted() {
        let mut p = EventPacker::new();
        p.push("{\"a\":1}", None);
        let good = p.take().remove(0).data;
        for bad in [
            vec![],
            vec![1, 2],
            vec![0xff, 0xff, 0xff, 0x7f, 0],
            good[..good.len() - 1].to_vec(),
            lz4_flex::block::compress_prepend_size(&[2, 0, 0, 0, 0]),
            lz4_flex::block::compress_prepend_size(&[FORMAT, 9, 0, 0, 0, b'{']),
            lz4_flex::block::compress_prepend_size(&[FORMAT, 2, 0, 0, 0, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff]),
        ] {
            assert!(matches!(OpenBlock::open(&bad), Err(StorageError::Corrupt(_))), "{bad:?}");
        }
        assert!(OpenBlock::open(&good).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn any_events_come_back_as_they_went_in(
            events in proptest::collection::vec(
                ("\\PC{0,40}", proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..40))),
                0..600,
            )
        ) {
            let mut p = EventPacker::new();
            let at: Vec<(u32, u32)> = events.iter().map(|(j, r)| p.push(j, r.as_deref())).collect();
            let blocks = p.take();
            let open: Vec<OpenBlock> = blocks.iter().map(|b| OpenBlock::open(&b.data).unwrap()).collect();
            proptest::prop_assert_eq!(open.iter().map(OpenBlock::len).sum::<usize>(), events.len());
            for ((block, slot), (json, raw)) in at.iter().zip(&events) {
                let b = &open[*block as usize];
                proptest::prop_assert_eq!(b.json(*slot as usize), Some(json.as_str()));
                proptest::prop_assert_eq!(b.raw(*slot as usize), raw.as_deref());
            }
        }

        #[test]
        fn any_bytes_open_or_are_refused(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            // Damage anywhere is an error, never a panic or a huge allocation.
            let _ = OpenBlock::open(&data);
            let mut framed = (data.len() as u32).to_le_bytes().to_vec();
            framed.extend_from_slice(&data);
            let _ = OpenBlock::open(&framed);
        }
    }
}

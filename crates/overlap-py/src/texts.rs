//! Texts from Python: a list of `str`, or a pyarrow `string`/`large_string` array read in place
//! through its offset and data buffers (no Python object per text, no copy). Results go back as flat
//! little-endian buffers that numpy views without copying again.
//!
//! Memory: a list of `str` is borrowed where the interpreter allows (CPython 3.10+; one UTF-8 copy per
//! text on 3.9); an Arrow array is read in place; results hold `num_perm` u32 and `bands` u64 per text.

use overlap::dedup::{jaccard, Sketcher};
use overlap::io::{parse_record, FieldNames};
use overlap::Error;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyList, PyTuple};
use rayon::prelude::*;

/// Texts handed over by Python, readable without the GIL.
pub enum Texts {
    List(Vec<PyBackedStr>),
    Arrow(ArrowStrings),
}

/// The buffers of an Arrow string array, by address, with the array kept alive.
pub struct ArrowStrings {
    _keep: Py<PyAny>,
    offsets: (usize, usize),
    data: (usize, usize),
    validity: (usize, usize),
    offset: usize,
    length: usize,
    large: bool,
}

impl Texts {
    /// A list (or other sequence) of `str`, or the tuple `overlap._texts.arrow_buffers` builds:
    /// `(array, offsets address, offsets bytes, data address, data bytes, validity address, validity
    /// bytes, offset, length, large)`.
    pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Texts> {
        if let Ok(t) = obj.cast::<PyTuple>() {
            if t.len() == 10 {
                let a = |i: usize| -> PyResult<usize> { t.get_item(i)?.extract() };
                return Ok(Texts::Arrow(ArrowStrings {
                    _keep: t.get_item(0)?.unbind(),
                    offsets: (a(1)?, a(2)?),
                    data: (a(3)?, a(4)?),
                    validity: (a(5)?, a(6)?),
                    offset: a(7)?,
                    length: a(8)?,
                    large: t.get_item(9)?.extract()?,
                }));
            }
        }
        if let Ok(list) = obj.cast::<PyList>() {
            let mut out = Vec::with_capacity(list.len());
            for item in list.iter() {
                out.push(item.extract::<PyBackedStr>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "texts must be str, got {}",
                        item.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })?);
            }
            return Ok(Texts::List(out));
        }
        Err(PyTypeError::new_err(
            "texts must be a list of str or a pyarrow string array",
        ))
    }

    /// Every text, borrowed. A null Arrow entry is the empty text.
    pub fn strs(&self) -> overlap::Result<Vec<&str>> {
        match self {
            Texts::List(v) => Ok(v.iter().map(|s| &**s).collect()),
            Texts::Arrow(a) => a.strs(),
        }
    }
}

/// The bytes at `(address, len)`.
///
/// # Safety
/// The range must be memory owned by a live object for as long as the slice is used: here, a pyarrow
/// buffer of the array held by [`ArrowStrings`], whose buffers are immutable.
#[allow(unsafe_code)]
unsafe fn raw<'a>((address, len): (usize, usize)) -> &'a [u8] {
    if len == 0 || address == 0 {
        return &[];
    }
    // SAFETY: as the caller promises; u8 has no alignment requirement.
    unsafe { std::slice::from_raw_parts(address as *const u8, len) }
}

impl ArrowStrings {
    fn strs(&self) -> overlap::Result<Vec<&str>> {
        let bad = |m: String| Error::Config(format!("malformed Arrow string array: {m}"));
        // SAFETY: the buffers belong to the array in `_keep`, alive as long as `self`.
        #[allow(unsafe_code)]
        let (offsets, data, validity) =
            unsafe { (raw(self.offsets), raw(self.data), raw(self.validity)) };
        let width = if self.large { 8 } else { 4 };
        if offsets.len() < (self.offset + self.length + 1) * width {
            return Err(bad(format!(
                "{} offset bytes for {} entries",
                offsets.len(),
                self.length
            )));
        }
        if !validity.is_empty() && validity.len() * 8 < self.offset + self.length {
            return Err(bad("validity bitmap too short".into()));
        }
        let at = |i: usize| -> u64 {
            let b = &offsets[i * width..(i + 1) * width];
            if self.large {
                u64::from_le_bytes(b.try_into().expect("8 bytes"))
            } else {
                u64::from(u32::from_le_bytes(b.try_into().expect("4 bytes")))
            }
        };
        (self.offset..self.offset + self.length)
            .into_par_iter()
            .map(|i| {
                if !validity.is_empty() && validity[i / 8] >> (i % 8) & 1 == 0 {
                    return Ok("");
                }
                let (start, end) = (at(i) as usize, at(i + 1) as usize);
                if start > end || end > data.len() {
                    return Err(bad(format!("entry {i} spans {start}..{end}")));
                }
                std::str::from_utf8(&data[start..end])
                    .map_err(|e| bad(format!("entry {i} is not UTF-8: {e}")))
            })
            .collect()
    }
}

/// Sketch every text on the worker threads: exact keys (32 hex digits), word counts, and (when asked)
/// signatures and band keys, flattened in text order.
pub fn sketch_all(
    sketcher: &Sketcher,
    texts: &[&str],
    signatures: bool,
    bands: bool,
) -> (Vec<String>, Vec<usize>, Vec<u32>, Vec<u64>) {
    let sketches: Vec<_> = texts
        .par_iter()
        .map(|t| {
            let s = sketcher.sketch(t);
            (
                format!("{:032x}", s.exact),
                s.tokens,
                if signatures { s.signature } else { Vec::new() },
                if bands { s.bands } else { Vec::new() },
            )
        })
        .collect();
    let mut exact = Vec::with_capacity(sketches.len());
    let mut words = Vec::with_capacity(sketches.len());
    let mut sigs = Vec::new();
    let mut keys = Vec::new();
    for (e, w, s, b) in sketches {
        exact.push(e);
        words.push(w);
        sigs.extend(s);
        keys.extend(b);
    }
    (exact, words, sigs, keys)
}

/// True Jaccard of the shingle sets of each pair of texts.
pub fn pair_jaccard(sketcher: &Sketcher, a: &[&str], b: &[&str]) -> Vec<f64> {
    a.par_iter()
        .zip(b.par_iter())
        .map(|(x, y)| {
            jaccard(
                &sketcher.sketch(x).shingle_set(),
                &sketcher.sketch(y).shingle_set(),
            )
        })
        .collect()
}

/// One parsed JSON line: id, text, problem reason, problem message.
pub type ParsedLine = (
    Option<String>,
    Option<String>,
    Option<&'static str>,
    Option<String>,
);

/// Parse JSON Lines records with the engine's reader (a `None` line is a missing one).
pub fn parse_lines(lines: &[Option<Vec<u8>>], fields: &FieldNames, max: usize) -> Vec<ParsedLine> {
    lines
        .par_iter()
        .map(|line| {
            let Some(line) = line else {
                return (None, None, Some("missing_field"), Some("no record".into()));
            };
            if line.len() > max {
                return (
                    None,
                    None,
                    Some("too_large"),
                    Some(format!(
                        "record of {} bytes is larger than the limit of {max} bytes",
                        line.len()
                    )),
                );
            }
            match parse_record(line, fields) {
                Ok(r) => (
                    r.id.map(|i| i.into_owned()),
                    Some(r.text.into_owned()),
                    None,
                    None,
                ),
                Err((kind, message)) => (None, None, Some(kind.as_str()), Some(message)),
            }
        })
        .collect()
}

/// The little-endian bytes of `v` (numpy reads them as `<u4`).
pub fn as_bytes_u32(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The little-endian bytes of `v` (numpy reads them as `<u8`).
pub fn as_bytes_u64(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

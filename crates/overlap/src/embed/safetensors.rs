//! A reader for the safetensors format, enough for a model2vec model: an 8-byte little-endian header
//! length, a JSON header naming each tensor's dtype, shape and byte range, then the raw tensors.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct TensorInfo {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (usize, usize),
}

/// One 2-D tensor as `f32`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// `rows * cols` values.
    pub data: Vec<f32>,
}

/// Read the 2-D tensor `name` (or, when `name` is absent from the file and it holds a single tensor,
/// that one) from the bytes of a safetensors file. `F32`, `F16` and `BF16` are read; others are an
/// error. `what` names the file in messages.
pub fn read_matrix(bytes: &[u8], name: &str, what: &str) -> Result<Matrix> {
    let bad = |m: String| Error::Model(format!("{what}: {m}"));
    let (header, body) = split(bytes, what)?;
    let tensors: Vec<(&String, &serde_json::Value)> = header
        .iter()
        .filter(|(k, _)| k.as_str() != "__metadata__")
        .collect();
    let value = match header.get(name) {
        Some(v) => v,
        None if tensors.len() == 1 => tensors[0].1,
        None => {
            let names: Vec<&str> = tensors.iter().map(|(k, _)| k.as_str()).collect();
            return Err(bad(format!(
                "no tensor named {name:?} (it holds {})",
                names.join(", ")
            )));
        }
    };
    let t = decode(value, body, what)?;
    let [rows, cols] = t.shape[..] else {
        return Err(bad(format!(
            "the embedding tensor has shape {:?}, not [vocab, dims]",
            t.shape
        )));
    };
    Ok(Matrix {
        rows,
        cols,
        data: t.data,
    })
}

/// A tensor of any rank as `f32`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Its dimensions.
    pub shape: Vec<usize>,
    /// The product of `shape` values.
    pub data: Vec<f32>,
}

/// Every floating-point tensor of a safetensors file, by name (a transformer's weights). Tensors of
/// other types (integer position ids) are left out; a float tensor that cannot be read is an error.
pub fn read_tensors(bytes: &[u8], what: &str) -> Result<BTreeMap<String, Tensor>> {
    let (header, body) = split(bytes, what)?;
    let mut out = BTreeMap::new();
    for (name, value) in &header {
        if name == "__metadata__" {
            continue;
        }
        if !matches!(value["dtype"].as_str(), Some("F32" | "F16" | "BF16")) {
            continue;
        }
        out.insert(name.clone(), decode(value, body, what)?);
    }
    Ok(out)
}

/// The JSON header and the body of a safetensors file.
fn split<'b>(
    bytes: &'b [u8],
    what: &str,
) -> Result<(BTreeMap<String, serde_json::Value>, &'b [u8])> {
    let bad = |m: String| Error::Model(format!("{what}: {m}"));
    if bytes.len() < 8 {
        return Err(bad("too short for a safetensors file".into()));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let body_start = 8usize
        .checked_add(n)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad(format!("header length {n} runs past the end of the file")))?;
    let header: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&bytes[8..body_start])
        .map_err(|e| bad(format!("header is not valid JSON: {e}")))?;
    Ok((header, &bytes[body_start..]))
}

/// One tensor's values, from its header entry.
fn decode(value: &serde_json::Value, body: &[u8], what: &str) -> Result<Tensor> {
    let bad = |m: String| Error::Model(format!("{what}: {m}"));
    let info: TensorInfo =
        serde_json::from_value(value.clone()).map_err(|e| bad(format!("bad tensor entry: {e}")))?;
    let width = match info.dtype.as_str() {
        "F32" => 4,
        "F16" | "BF16" => 2,
        other => {
            return Err(bad(format!(
                "tensor type {other} is not supported (F32, F16, BF16 are)"
            )))
        }
    };
    let count = info
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(format!("tensor shape {:?} overflows", info.shape)))?;
    let (start, end) = info.data_offsets;
    if start > end || end > body.len() || Some(end - start) != count.checked_mul(width) {
        return Err(bad(format!(
            "tensor bytes {start}..{end} do not hold {:?} {} values in a body of {} bytes",
            info.shape,
            info.dtype,
            body.len()
        )));
    }
    let raw = &body[start..end];
    let data: Vec<f32> = match info.dtype.as_str() {
        "F32" => raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect(),
        "F16" => raw
            .chunks_exact(2)
            .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        _ => raw
            .chunks_exact(2)
            .map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16))
            .collect(),
    };
    Ok(Tensor {
        shape: info.shape,
        data,
    })
}

/// IEEE half to single precision, exactly.
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: value = frac * 2^-24.
            return f32::from_bits(sign)
                + (if sign != 0 { -1.0 } else { 1.0 }) * frac as f32 * 2f32.powi(-24);
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// The bytes of a safetensors file holding one F32 tensor `name` of `rows x cols` (for tests and
/// for tools that write small models).
pub fn write_matrix(name: &str, rows: usize, cols: usize, data: &[f32]) -> Vec<u8> {
    assert_eq!(data.len(), rows * cols);
    let mut header = serde_json::json!({
        name: {"dtype": "F32", "shape": [rows, cols], "data_offsets": [0, data.len() * 4]}
    })
    .to_string();
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + data.len() * 4);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let data = [1.0, -2.5, 3.25, 0.0, 1e-3, 7.0];
        let bytes = write_matrix("embeddings", 2, 3, &data);
        let m = read_matrix(&bytes, "embeddings", "t").unwrap();
        assert_eq!((m.rows, m.cols), (2, 3));
        assert_eq!(m.data, data);
        // A single tensor is found under another name too.
        assert_eq!(read_matrix(&bytes, "other", "t").unwrap(), m);
    }

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let good = write_matrix("embeddings", 2, 3, &[0.0; 6]);
        for bad in [
            &good[..4],
            &good[..good.len() - 1],
            &[255u8, 255, 255, 255, 255, 255, 255, 127, b'{'][..],
        ] {
            let e = read_matrix(bad, "embeddings", "m.safetensors").unwrap_err();
            assert!(e.to_string().contains("m.safetensors"), "{e}");
        }
        let mut wrong = good.clone();
        let text = String::from_utf8_lossy(&wrong[8..]).replace("F32", "I64");
        wrong.truncate(8);
        wrong.extend_from_slice(text.as_bytes());
        assert!(read_matrix(&wrong, "embeddings", "m")
            .unwrap_err()
            .to_string()
            .contains("I64"));
    }
}

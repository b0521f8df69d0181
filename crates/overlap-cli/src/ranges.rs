//! Value parsers for numeric options: every option is checked when the command line is parsed, so a
//! value out of range is a usage error (exit 2) whose message gives the valid range, before any
//! input is opened.

use clap::builder::{RangedU64ValueParser, TypedValueParser, ValueParser};

/// Most worker threads `--threads` accepts. More threads than this never help (the work is split in
/// batches of thousands of documents) and thousands of threads can stall a machine.
pub const MAX_THREADS: u64 = 1024;

/// An integer in `lo..=hi`; clap's message names the range.
pub fn int(lo: u64, hi: u64) -> ValueParser {
    ValueParser::new(RangedU64ValueParser::<usize>::new().range(lo..=hi))
}

/// A `u32` in `lo..=hi`.
pub fn int32(lo: u64, hi: u64) -> ValueParser {
    ValueParser::new(RangedU64ValueParser::<u32>::new().range(lo..=hi))
}

/// Where a bound of a real interval lies and whether it belongs to it.
#[derive(Clone, Copy)]
pub enum Bound {
    /// The bound is in the interval.
    Closed(f64),
    /// The bound is not in the interval.
    Open(f64),
    /// No bound (but the value must still be finite).
    None,
}

/// A finite real number in the interval given by `lo` and `hi`.
pub fn real(lo: Bound, hi: Bound) -> ValueParser {
    ValueParser::new(
        clap::builder::StringValueParser::new().try_map(move |s: String| parse_real(&s, lo, hi)),
    )
}

fn parse_real(s: &str, lo: Bound, hi: Bound) -> Result<f64, String> {
    let range = describe(lo, hi);
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number; expected a number {range}"))?;
    let ok = v.is_finite()
        && match lo {
            Bound::Closed(b) => v >= b,
            Bound::Open(b) => v > b,
            Bound::None => true,
        }
        && match hi {
            Bound::Closed(b) => v <= b,
            Bound::Open(b) => v < b,
            Bound::None => true,
        };
    if ok {
        Ok(v)
    } else {
        Err(format!("{s} is out of range; expected a number {range}"))
    }
}

/// A share in `[0, 1]`.
pub fn share() -> ValueParser {
    real(Bound::Closed(0.0), Bound::Closed(1.0))
}

fn describe(lo: Bound, hi: Bound) -> String {
    match (lo, hi) {
        (Bound::None, Bound::None) => "(any finite value)".into(),
        (Bound::Closed(a), Bound::None) => format!(">= {a}"),
        (Bound::Open(a), Bound::None) => format!("> {a}"),
        (Bound::None, Bound::Closed(b)) => format!("<= {b}"),
        (Bound::None, Bound::Open(b)) => format!("< {b}"),
        (lo, hi) => {
            let (l, a) = match lo {
                Bound::Closed(a) => ('[', a),
                Bound::Open(a) => ('(', a),
                Bound::None => unreachable!(),
            };
            let (r, b) = match hi {
                Bound::Closed(b) => (']', b),
                Bound::Open(b) => (')', b),
                Bound::None => unreachable!(),
            };
            format!("in {l}{a}, {b}{r}")
        }
    }
}

/// A path argument that must not be empty: `''` names no file.
pub fn non_empty_path(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("an input name is empty (''): give a file, a directory or - for standard input".into())
    } else {
        Ok(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &(Bound, Bound), s: &str) -> Result<f64, String> {
        parse_real(s, p.0, p.1)
    }

    #[test]
    fn reals_outside_the_interval_or_not_finite_are_refused_with_the_range() {
        let p = (Bound::Open(0.0), Bound::Closed(1.0));
        assert_eq!(parse(&p, "0.5"), Ok(0.5));
        assert_eq!(parse(&p, "1"), Ok(1.0));
        for bad in ["0", "1.5", "NaN", "inf", "-inf", "x", ""] {
            let e = parse(&p, bad).unwrap_err();
            assert!(e.contains("in (0, 1]"), "{bad}: {e}");
        }
        let p = (Bound::Closed(0.0), Bound::None);
        assert!(parse(&p, "1e300").is_ok());
        assert!(parse(&p, "-1").unwrap_err().contains(">= 0"));
    }
}

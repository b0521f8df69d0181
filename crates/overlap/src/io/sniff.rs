//! Recognising what overlap does not read, from a file's name and its first block of (decompressed)
//! bytes, so that a Parquet file, a spreadsheet export, an archive, a PDF, an image or a program is
//! named as such instead of being read as one garbled text document.
//!
//! Memory: nothing beyond the first block the reader has buffered anyway.

use serde::Serialize;
use std::fmt;

/// A file format overlap recognises but does not read (yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unsupported {
    /// Apache Parquet (magic `PAR1`). A distinct kind, so that a Parquet reader can take these over.
    Parquet,
    /// Comma-separated values, recognised by the `.csv` extension.
    Csv,
    /// Tab-separated values, recognised by the `.tsv` or `.tab` extension.
    Tsv,
    /// A zip archive (also `.docx`, `.xlsx`, `.epub`, `.jar`).
    Zip,
    /// A PDF document.
    Pdf,
    /// An image (PNG, JPEG, GIF, WebP, TIFF, BMP).
    Image(&'static str),
    /// A program or library (ELF, PE, Mach-O).
    Executable(&'static str),
    /// Another archive or compressed format overlap does not decompress (bzip2, xz, 7z, tar).
    Archive(&'static str),
    /// Any other binary file: a NUL byte in its first block (text never holds one; UTF-16 text
    /// does, and is not read either). The reader applies this to text files only: in JSON Lines a
    /// NUL byte is a broken line.
    Binary,
}

impl Unsupported {
    /// The format with its article ("a Parquet file"), for messages.
    pub fn name(self) -> &'static str {
        match self {
            Unsupported::Parquet => "a Parquet file",
            Unsupported::Csv => "a CSV file",
            Unsupported::Tsv => "a TSV file",
            Unsupported::Zip => "a zip archive",
            Unsupported::Pdf => "a PDF document",
            Unsupported::Image(kind) | Unsupported::Executable(kind) => kind,
            Unsupported::Archive(kind) => kind,
            Unsupported::Binary => "binary data",
        }
    }

    /// What the user can do about it.
    fn advice(self) -> &'static str {
        match self {
            Unsupported::Parquet => "overlap does not read Parquet yet; convert it to JSON Lines",
            Unsupported::Csv | Unsupported::Tsv => {
                "overlap does not read CSV/TSV yet; convert it to JSON Lines, or give --format text to \
                 read the file as one text document"
            }
            Unsupported::Archive(_) => "unpack it first (overlap reads plain, gzip and zstd files)",
            Unsupported::Zip => "unpack it first",
            Unsupported::Pdf => "extract its text first",
            _ => "it is not a text document",
        }
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::Binary => write!(
                f,
                "binary data (a NUL byte in the first block), not text or JSON Lines: {}",
                self.advice()
            ),
            _ => write!(
                f,
                "{}, not text or JSON Lines: {}",
                self.name(),
                self.advice()
            ),
        }
    }
}

/// What `head`, the first block of a file named `name` (after decompression), is, when it is a
/// format overlap does not read. `by_name` lets the extension decide (CSV/TSV); it is off when the
/// user forced a format, which then reads the file as that format. Magic numbers always decide.
pub fn sniff(name: &str, head: &[u8], by_name: bool) -> Option<Unsupported> {
    let magic: &[(&[u8], Unsupported)] = &[
        (b"PAR1", Unsupported::Parquet),
        (b"PK\x03\x04", Unsupported::Zip),
        (b"PK\x05\x06", Unsupported::Zip),
        (b"%PDF-", Unsupported::Pdf),
        (b"\x89PNG\r\n\x1a\n", Unsupported::Image("a PNG image")),
        (b"\xff\xd8\xff", Unsupported::Image("a JPEG image")),
        (b"GIF87a", Unsupported::Image("a GIF image")),
        (b"GIF89a", Unsupported::Image("a GIF image")),
        (b"II*\x00", Unsupported::Image("a TIFF image")),
        (b"MM\x00*", Unsupported::Image("a TIFF image")),
        (b"\x7fELF", Unsupported::Executable("an ELF executable")),
        (
            b"\xcf\xfa\xed\xfe",
            Unsupported::Executable("a Mach-O executable"),
        ),
        (
            b"\xce\xfa\xed\xfe",
            Unsupported::Executable("a Mach-O executable"),
        ),
        (
            b"\xfe\xed\xfa\xcf",
            Unsupported::Executable("a Mach-O executable"),
        ),
        (
            b"\xfe\xed\xfa\xce",
            Unsupported::Executable("a Mach-O executable"),
        ),
        (
            b"\xca\xfe\xba\xbe",
            Unsupported::Executable("a Mach-O executable"),
        ),
        (b"BZh", Unsupported::Archive("a bzip2 file")),
        (b"\xfd7zXZ\x00", Unsupported::Archive("an xz file")),
        (b"7z\xbc\xaf\x27\x1c", Unsupported::Archive("a 7z archive")),
    ];
    if let Some((_, kind)) = magic.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(*kind);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some(Unsupported::Image("a WebP image"));
    }
    // "MZ" alone is also the start of ordinary words; a PE file says where its "PE\0\0" header is.
    if head.starts_with(b"MZ") && head.len() >= 0x40 {
        let at = u32::from_le_bytes([head[0x3c], head[0x3d], head[0x3e], head[0x3f]]) as usize;
        if head.get(at..at + 4) == Some(b"PE\0\0") {
            return Some(Unsupported::Executable("a Windows (PE) executable"));
        }
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Some(Unsupported::Archive("a tar archive"));
    }
    if head.starts_with(b"BM") && head.len() >= 14 && head[6..10] == [0, 0, 0, 0] {
        return Some(Unsupported::Image("a BMP image"));
    }
    if memchr::memchr(0, head).is_some() {
        return Some(Unsupported::Binary);
    }
    if by_name {
        let lower = crate::io::Compression::strip_extension(&name.to_ascii_lowercase()).to_string();
        if lower.ends_with(".csv") {
            return Some(Unsupported::Csv);
        }
        if lower.ends_with(".tsv") || lower.ends_with(".tab") {
            return Some(Unsupported::Tsv);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_magic_and_csv_by_name() {
        let cases: &[(&str, &[u8], Option<Unsupported>)] = &[
            ("a.parquet", b"PAR1\x15\x04", Some(Unsupported::Parquet)),
            (
                "x.txt",
                b"PAR1 is also how this text starts",
                Some(Unsupported::Parquet),
            ),
            ("a.zip", b"PK\x03\x04\x14\x00", Some(Unsupported::Zip)),
            ("a.pdf", b"%PDF-1.7\n", Some(Unsupported::Pdf)),
            (
                "a.png",
                b"\x89PNG\r\n\x1a\n\0\0",
                Some(Unsupported::Image("a PNG image")),
            ),
            (
                "a.jpg",
                b"\xff\xd8\xff\xe0",
                Some(Unsupported::Image("a JPEG image")),
            ),
            (
                "a",
                b"\x7fELF\x02\x01",
                Some(Unsupported::Executable("an ELF executable")),
            ),
            ("a.bin", b"abc\0def", Some(Unsupported::Binary)),
            ("a.csv", b"id,text\n1,hello\n", Some(Unsupported::Csv)),
            ("a.TSV.gz", b"id\ttext\n", Some(Unsupported::Tsv)),
            ("a.txt", b"MZ is a word, says the text", None),
            ("a.txt", b"plain words\n", None),
            ("a.jsonl", b"{\"id\": 1}\n", None),
            ("a.txt", b"", None),
        ];
        for (name, head, want) in cases {
            assert_eq!(sniff(name, head, true), *want, "{name}");
        }
        assert_eq!(
            sniff("a.csv", b"id,text\n", false),
            None,
            "a forced format reads CSV"
        );
        assert_eq!(sniff("a.csv", b"PAR1", false), Some(Unsupported::Parquet));
    }

    #[test]
    fn a_pe_file_needs_its_header() {
        let mut pe = vec![0u8; 0x100];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert_eq!(
            sniff("a.exe", &pe, true),
            Some(Unsupported::Executable("a Windows (PE) executable"))
        );
        pe[0x80] = b'X';
        assert_eq!(sniff("a.exe", &pe, true), Some(Unsupported::Binary));
    }
}

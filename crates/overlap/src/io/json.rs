//! Reading the id and text fields out of one JSON line, without building a tree of the whole record.
//!
//! Fields other than the two named are skipped by the parser, and strings without escapes are borrowed
//! from the line, so a record costs about one pass over its bytes.

use crate::error::ProblemKind;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Names of the fields to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldNames {
    /// The id field (default `id`). A record without it gets an id from its position.
    pub id: String,
    /// The text field (default `text`).
    pub text: String,
    /// An optional field naming the document's source (publisher, site, author).
    pub source: Option<String>,
    /// An optional field holding the document's date (ISO 8601 text or a Unix time).
    pub date: Option<String>,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            id: "id".into(),
            text: "text".into(),
            source: None,
            date: None,
        }
    }
}

/// The two fields of a parsed record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonRecord<'a> {
    /// The id, if present and not null. Numbers are written in their JSON form.
    pub id: Option<Cow<'a, str>>,
    /// The text.
    pub text: Cow<'a, str>,
    /// The source field's value, when asked for and present as a string or number.
    pub source: Option<String>,
    /// The date field's value, when asked for and present as a string or number.
    pub date: Option<String>,
}

/// Why a line could not be read as a record: a kind and a sentence for people.
pub type FieldError = (ProblemKind, String);

/// Parse `line` and pick out `fields`. The line must be valid UTF-8 holding one JSON object.
pub fn parse_record<'a>(line: &'a [u8], fields: &FieldNames) -> Result<JsonRecord<'a>, FieldError> {
    let text = std::str::from_utf8(line).map_err(|e| {
        (
            ProblemKind::InvalidUtf8,
            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
        )
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let picked = Picker { fields }
        .deserialize(&mut de)
        .and_then(|p| de.end().map(|_| p))
        .map_err(|e| (ProblemKind::MalformedJson, malformed(text, &e)))?;
    let id = match picked.id {
        None | Some(Value::Null) => None,
        Some(Value::Str(s)) => Some(s),
        Some(Value::Number(n)) => Some(Cow::Owned(n)),
        Some(Value::Other(kind)) => {
            return Err((
                ProblemKind::BadFieldType,
                format!(
                    "field \"{}\" is {kind}; an id must be a string or a number",
                    fields.id
                ),
            ))
        }
    };
    let text = match picked.text {
        Some(Value::Str(s)) => s,
        None => {
            return Err((
                ProblemKind::MissingField,
                format!("missing field \"{}\"", fields.text),
            ))
        }
        Some(Value::Null) => {
            return Err((
                ProblemKind::BadFieldType,
                format!("field \"{}\" is null; it must be a string", fields.text),
            ))
        }
        Some(Value::Number(_)) | Some(Value::Other(_)) => {
            return Err((
                ProblemKind::BadFieldType,
                format!("field \"{}\" must be a string", fields.text),
            ))
        }
    };
    let scalar = |v: Option<Value>| match v {
        Some(Value::Str(s)) => Some(s.into_owned()),
        Some(Value::Number(n)) => Some(n),
        _ => None,
    };
    Ok(JsonRecord {
        id,
        text,
        source: scalar(picked.source),
        date: scalar(picked.date),
    })
}

/// The message of a line that is not one JSON object, with a hint when the file looks like one
/// JSON document (an array, or an object spread over lines) rather than JSON Lines.
fn malformed(line: &str, e: &serde_json::Error) -> String {
    let start = line.trim_start();
    let hint = if start.starts_with('[') {
        "; JSON Lines is expected: one JSON object per line, not an array (convert with \
         `jq -c '.[]' FILE > FILE.jsonl`)"
    } else if start.trim_end() == "{" {
        "; JSON Lines is expected: one whole JSON object per line, not an object spread over \
         several lines (convert with `jq -c . FILE > FILE.jsonl`)"
    } else {
        ""
    };
    format!("malformed JSON: {e}{hint}")
}

enum Value<'a> {
    Str(Cow<'a, str>),
    Number(String),
    Null,
    Other(&'static str),
}

struct Picked<'a> {
    id: Option<Value<'a>>,
    text: Option<Value<'a>>,
    source: Option<Value<'a>>,
    date: Option<Value<'a>>,
}

struct Picker<'f> {
    fields: &'f FieldNames,
}

impl<'de> DeserializeSeed<'de> for Picker<'_> {
    type Value = Picked<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Picker<'_> {
    type Value = Picked<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut picked = Picked {
            id: None,
            text: None,
            source: None,
            date: None,
        };
        let is = |name: &Option<String>, key: &str| name.as_deref() == Some(key);
        while let Some(key) = map.next_key::<Str<'de>>()? {
            // The first occurrence of a repeated key wins.
            if key.0 == self.fields.text && picked.text.is_none() {
                picked.text = Some(map.next_value::<ValueSeed<'de>>()?.0);
            } else if key.0 == self.fields.id && picked.id.is_none() {
                picked.id = Some(map.next_value::<IdSeed<'de>>()?.0);
            } else if is(&self.fields.source, &key.0) && picked.source.is_none() {
                picked.source = Some(map.next_value::<ValueSeed<'de>>()?.0);
            } else if is(&self.fields.date, &key.0) && picked.date.is_none() {
                picked.date = Some(map.next_value::<ValueSeed<'de>>()?.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(picked)
    }
}

/// A string that borrows from the input when it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The id field, numbers kept as their exact JSON text: `12345678901234567890123` and `1.0` are
/// ids of their own, never rounded through a float into another record's id.
struct IdSeed<'a>(Value<'a>);

impl<'de> de::Deserialize<'de> for IdSeed<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get().trim();
        let value = match text.as_bytes().first() {
            Some(b'"') => Value::Str(
                serde_json::from_str::<Str<'de>>(text)
                    .map_err(de::Error::custom)?
                    .0,
            ),
            Some(b'-' | b'0'..=b'9') => Value::Number(text.to_string()),
            Some(b'n') => Value::Null,
            Some(b't' | b'f') => Value::Other("a boolean"),
            Some(b'[') => Value::Other("an array"),
            _ => Value::Other("an object"),
        };
        Ok(IdSeed(value))
    }
}

struct ValueSeed<'a>(Value<'a>);

impl<'de> de::Deserialize<'de> for ValueSeed<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValueSeed<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Str(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Str(Cow::Owned(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Number(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Number(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Number(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Null))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ValueSeed(Value::Other("a boolean")))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ValueSeed(Value::Other("an array")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ValueSeed(Value::Other("an object")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<(Option<String>, String), ProblemKind> {
        parse_record(line.as_bytes(), &FieldNames::default())
            .map(|r| (r.id.map(Cow::into_owned), r.text.into_owned()))
            .map_err(|(kind, _)| kind)
    }

    #[test]
    fn picks_fields_and_skips_the_rest() {
        assert_eq!(
            parse(r#"{"title": {"x": [1, 2]}, "id": "a", "text": "hi\nthere", "n": null}"#),
            Ok((Some("a".into()), "hi\nthere".into()))
        );
        assert_eq!(
            parse(r#"{"id": 42, "text": ""}"#),
            Ok((Some("42".into()), "".into()))
        );
        // Numbers keep their exact text: no rounding through f64, no reformatting.
        for n in [
            "18446744073709551617",
            "18446744073709551616",
            "-12345678901234567890123",
            "1.0",
            "1e3",
            "0.1000000000000000055511151231257827",
        ] {
            let line = format!(r#"{{"id": {n}, "text": "t"}}"#);
            assert_eq!(parse(&line), Ok((Some(n.into()), "t".into())));
        }
        assert_eq!(
            parse(r#"{"id": "a\"b", "text": "t"}"#),
            Ok((Some("a\"b".into()), "t".into()))
        );
        assert_eq!(parse(r#"{"text": "t"}"#), Ok((None, "t".into())));
        assert_eq!(
            parse(r#"{"id": null, "text": "t"}"#),
            Ok((None, "t".into()))
        );
    }

    #[test]
    fn bad_records_get_the_right_kind() {
        assert_eq!(parse(r#"{"id": "a""#), Err(ProblemKind::MalformedJson));
        assert_eq!(parse(r#"[1, 2]"#), Err(ProblemKind::MalformedJson));
        assert_eq!(
            parse(r#"{"text": "a"} trailing"#),
            Err(ProblemKind::MalformedJson)
        );
        assert_eq!(parse(r#"{"id": "a"}"#), Err(ProblemKind::MissingField));
        assert_eq!(parse(r#"{"text": 5}"#), Err(ProblemKind::BadFieldType));
        assert_eq!(parse(r#"{"text": null}"#), Err(ProblemKind::BadFieldType));
        assert_eq!(
            parse(r#"{"id": [1], "text": "a"}"#),
            Err(ProblemKind::BadFieldType)
        );
        let invalid = b"{\"text\": \"caf\xe9\"}";
        assert_eq!(
            parse_record(invalid, &FieldNames::default()).map_err(|e| e.0),
            Err(ProblemKind::InvalidUtf8)
        );
    }

    #[test]
    fn source_and_date_when_asked_for() {
        let fields = FieldNames {
            source: Some("site".into()),
            date: Some("ts".into()),
            ..FieldNames::default()
        };
        let r = parse_record(
            br#"{"id": "a", "text": "t", "site": "x.com", "ts": 1700000000}"#,
            &fields,
        )
        .unwrap();
        assert_eq!(
            (r.source.as_deref(), r.date.as_deref()),
            (Some("x.com"), Some("1700000000"))
        );
        let r = parse_record(br#"{"id": "a", "text": "t", "site": null}"#, &fields).unwrap();
        assert_eq!((r.source, r.date), (None, None));
        let r = parse_record(
            br#"{"id": "a", "text": "t", "site": "x"}"#,
            &FieldNames::default(),
        )
        .unwrap();
        assert_eq!(r.source, None, "not asked for");
    }

    #[test]
    fn custom_field_names() {
        let fields = FieldNames {
            id: "doc_id".into(),
            text: "body".into(),
            ..FieldNames::default()
        };
        let r = parse_record(br#"{"doc_id": "x", "body": "b", "text": "no"}"#, &fields).unwrap();
        assert_eq!((r.id.as_deref(), &*r.text), (Some("x"), "b"));
    }
}

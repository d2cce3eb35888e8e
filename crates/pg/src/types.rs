//! Values across the wire: parameters go as **text** (the server converts them to the
//! statement's types, as `psql` would), row values come back in binary and are written as
//! text for captures.
//!
//! Sending text means a parameter needs no client-side conversion at run time: a value the
//! server cannot convert fails the statement with its SQLSTATE (`22P02` invalid text
//! representation, `22003` out of range), counted as `db_error` with that code. Where a
//! parameter's type is declared, a sample rendered at validate is checked first, so a
//! `{{uuid}}` bound to an `int8` is a located error before anything runs.

use crate::error::PgError;
use bytes::BytesMut;
use std::error::Error;
use std::fmt::Write as _;
use tokio_postgres::types::{to_sql_checked, Format, FromSql, IsNull, ToSql, Type};

/// The type called `name` (PostgreSQL's names and their SQL aliases, case-insensitive).
pub fn type_named(name: &str) -> Result<Type, PgError> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "bool" | "boolean" => Type::BOOL,
        "int2" | "smallint" => Type::INT2,
        "int4" | "int" | "integer" => Type::INT4,
        "int8" | "bigint" => Type::INT8,
        "float4" | "real" => Type::FLOAT4,
        "float8" | "double precision" => Type::FLOAT8,
        "numeric" | "decimal" => Type::NUMERIC,
        "text" => Type::TEXT,
        "varchar" | "character varying" => Type::VARCHAR,
        "char" | "bpchar" | "character" => Type::BPCHAR,
        "uuid" => Type::UUID,
        "date" => Type::DATE,
        "time" => Type::TIME,
        "timestamp" => Type::TIMESTAMP,
        "timestamptz" => Type::TIMESTAMPTZ,
        "interval" => Type::INTERVAL,
        "json" => Type::JSON,
        "jsonb" => Type::JSONB,
        "bytea" => Type::BYTEA,
        _ => return Err(PgError::UnknownType(name.to_owned())),
    })
}

/// Whether `text` converts to `ty`, for the types whose text form is simple to check; the
/// others are left to the server.
pub(crate) fn converts(ty: &Type, text: &str) -> bool {
    let t = text.trim();
    match *ty {
        Type::INT2 => t.parse::<i16>().is_ok(),
        Type::INT4 => t.parse::<i32>().is_ok(),
        Type::INT8 => t.parse::<i64>().is_ok(),
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => {
            t.parse::<f64>().is_ok() || t.eq_ignore_ascii_case("nan")
        }
        Type::BOOL => matches!(
            t.to_ascii_lowercase().as_str(),
            "t" | "f" | "true" | "false" | "y" | "n" | "yes" | "no" | "on" | "off" | "1" | "0"
        ),
        Type::UUID => {
            let hex: String = t.chars().filter(|c| *c != '-').collect();
            hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        _ => true,
    }
}

/// One rendered parameter, sent in text format whatever the statement's type.
#[derive(Debug)]
pub(crate) struct TextParam<'a>(pub(crate) &'a [u8]);

impl ToSql for TextParam<'_> {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// A row value's raw bytes (binary format), whatever its type.
pub(crate) struct Raw<'a>(pub(crate) &'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Raw(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Writes a binary row value of type `ty` as its text form into `out`; `false` for a type
/// not written here (cast it in SQL: `RETURNING amount::text`).
pub(crate) fn write_text(ty: &Type, raw: &[u8], out: &mut Vec<u8>) -> bool {
    let int = |n: usize| -> Option<i64> {
        let b = raw.get(..n)?;
        Some(match n {
            2 => i64::from(i16::from_be_bytes([b[0], b[1]])),
            4 => i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            _ => i64::from_be_bytes(b.try_into().ok()?),
        })
    };
    let mut text = String::new();
    let written = match *ty {
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => {
            out.extend_from_slice(raw);
            return true;
        }
        // jsonb's binary form is a version byte, then the text.
        Type::JSONB if raw.first() == Some(&1) => {
            out.extend_from_slice(&raw[1..]);
            return true;
        }
        Type::INT2 => int(2).map(|v| write!(text, "{v}")),
        Type::INT4 => int(4).map(|v| write!(text, "{v}")),
        Type::INT8 => int(8).map(|v| write!(text, "{v}")),
        Type::OID => raw
            .try_into()
            .ok()
            .map(|b| write!(text, "{}", u32::from_be_bytes(b))),
        Type::FLOAT4 => raw
            .try_into()
            .ok()
            .map(|b| write!(text, "{}", f32::from_be_bytes(b))),
        Type::FLOAT8 => raw
            .try_into()
            .ok()
            .map(|b| write!(text, "{}", f64::from_be_bytes(b))),
        Type::BOOL => raw
            .first()
            .map(|b| write!(text, "{}", if *b != 0 { "t" } else { "f" })),
        Type::UUID if raw.len() == 16 => {
            for (i, b) in raw.iter().enumerate() {
                if matches!(i, 4 | 6 | 8 | 10) {
                    text.push('-');
                }
                let _ = write!(text, "{b:02x}");
            }
            Some(Ok(()))
        }
        _ => None,
    };
    match written {
        Some(Ok(())) => {
            out.extend_from_slice(text.as_bytes());
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_samples() {
        assert_eq!(type_named("BIGINT").unwrap(), Type::INT8);
        assert_eq!(type_named("double precision").unwrap(), Type::FLOAT8);
        assert!(type_named("money2").is_err());
        assert!(converts(&Type::INT4, "42"));
        assert!(!converts(&Type::INT4, "4e9"));
        assert!(!converts(
            &Type::INT8,
            "5b1f9e8e-0000-4000-8000-000000000000"
        ));
        assert!(converts(
            &Type::UUID,
            "5b1f9e8e-0000-4000-8000-000000000000"
        ));
        assert!(converts(&Type::NUMERIC, "49.99"));
        assert!(!converts(&Type::NUMERIC, "AUD"));
        assert!(converts(&Type::TEXT, "anything"));
    }

    #[test]
    fn binary_values_are_written_as_text() {
        let text = |ty: &Type, raw: &[u8]| {
            let mut out = Vec::new();
            assert!(write_text(ty, raw, &mut out), "{ty}");
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(&Type::INT8, &(-42i64).to_be_bytes()), "-42");
        assert_eq!(text(&Type::INT4, &7i32.to_be_bytes()), "7");
        assert_eq!(text(&Type::BOOL, &[1]), "t");
        assert_eq!(text(&Type::TEXT, b"abc"), "abc");
        assert_eq!(
            text(
                &Type::UUID,
                &[0x5b, 0x1f, 0x9e, 0x8e, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1]
            ),
            "5b1f9e8e-0000-4000-8000-000000000001"
        );
        assert!(!write_text(&Type::NUMERIC, &[0, 0], &mut Vec::new()));
    }
}

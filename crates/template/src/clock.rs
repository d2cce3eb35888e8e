//! Wall-clock values for templates: Unix milliseconds and RFC 3339 UTC text, without
//! allocating. (Measurement never uses the wall clock; it uses `tokio::time::Instant`.)

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is set before it).
pub(crate) fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Length of [`rfc3339`]'s output: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) const RFC3339_LEN: usize = 24;

/// Formats Unix milliseconds as RFC 3339 UTC with millisecond precision.
pub(crate) fn rfc3339(ms: u64) -> [u8; RFC3339_LEN] {
    let secs = ms / 1000;
    let (y, mo, d) = civil_from_days((secs / 86_400) as i64);
    let sod = secs % 86_400;
    let mut out = *b"0000-00-00T00:00:00.000Z";
    put(&mut out[0..4], y.clamp(0, 9999) as u64);
    put(&mut out[5..7], mo as u64);
    put(&mut out[8..10], d as u64);
    put(&mut out[11..13], sod / 3600);
    put(&mut out[14..16], sod % 3600 / 60);
    put(&mut out[17..19], sod % 60);
    put(&mut out[20..23], ms % 1000);
    out
}

/// Writes `v` as zero-padded decimal filling `dst`.
fn put(dst: &mut [u8], mut v: u64) {
    for b in dst.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ms: u64) -> String {
        String::from_utf8(rfc3339(ms).to_vec()).unwrap()
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(fmt(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(fmt(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(fmt(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(fmt(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }
}

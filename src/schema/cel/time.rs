//! Durations and timestamps as cel-go has them: durations are Go `time.Duration`s
//! (nanoseconds in an `i64`, parsed by `time.ParseDuration`), timestamps are UTC instants
//! between years 1 and 9999, parsed and printed as RFC 3339.

use super::EvalError;
use super::value::Value;

const NANOS_PER_SEC: i64 = 1_000_000_000;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: cel-go's timestamp range.
const MIN_SECS: i64 = -62_135_596_800;
const MAX_SECS: i64 = 253_402_300_799;

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` with units `ns`, `us`/`µs`,
/// `ms`, `s`, `m`, `h`; `"0"` alone needs no unit. Returns nanoseconds.
pub(crate) fn parse_duration(orig: &str) -> Result<i64, String> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || format!("time: invalid duration \"{orig}\"");
    let mut s = orig;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // The integer part; overflow is an error.
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &c in &b[..int_len] {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(c - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
        }
        s = &s[int_len..];
        // The fraction; digits past what fits are ignored.
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if let Some(rest) = s.strip_prefix('.') {
            let fb = rest.as_bytes();
            let frac_len = fb.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut overflow = false;
            for &c in &fb[..frac_len] {
                if overflow || frac > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = frac * 10 + u64::from(c - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                frac = y;
                scale *= 10.0;
            }
            post = frac_len > 0;
            s = &rest[frac_len..];
        }
        if int_len == 0 && !post {
            return Err(invalid());
        }
        let unit_len = s.char_indices().find(|(_, c)| *c == '.' || c.is_ascii_digit()).map_or(s.len(), |(i, _)| i);
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration \"{orig}\""));
        }
        let unit_name = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_name {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!("time: unknown unit \"{unit_name}\" in duration \"{orig}\""));
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            // As Go: float64 keeps fractions of hours nanosecond-accurate.
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        total += v;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        // `total` is at most 2^63, so its negation fits.
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// cel-go's `string(duration)`: seconds in shortest decimal form, then `s` (`"1.5s"`).
pub(crate) fn format_duration(nanos: i64) -> String {
    let secs = (nanos / NANOS_PER_SEC) as f64 + (nanos % NANOS_PER_SEC) as f64 / 1e9;
    format!("{secs}s")
}

/// A point in time, in UTC, within cel-go's range (years 1 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

fn range_error() -> EvalError {
    EvalError::new("timestamp out of range")
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01: (year, month 1–12, day 1–31).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// The instant `secs` seconds and `nanos` nanoseconds after the Unix epoch.
    pub(crate) fn from_unix(secs: i64, nanos: u32) -> Result<Timestamp, EvalError> {
        if !(MIN_SECS..=MAX_SECS).contains(&secs) || nanos >= 1_000_000_000 {
            return Err(range_error());
        }
        Ok(Timestamp { secs, nanos })
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// The nanoseconds within the second.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    fn total_nanos(&self) -> i128 {
        i128::from(self.secs) * i128::from(NANOS_PER_SEC) + i128::from(self.nanos)
    }

    fn from_total_nanos(n: i128) -> Result<Timestamp, EvalError> {
        let secs = i64::try_from(n.div_euclid(i128::from(NANOS_PER_SEC))).map_err(|_| range_error())?;
        Timestamp::from_unix(secs, n.rem_euclid(i128::from(NANOS_PER_SEC)) as u32)
    }

    /// This instant plus a duration.
    pub(crate) fn add_nanos(&self, d: i64) -> Result<Timestamp, EvalError> {
        Timestamp::from_total_nanos(self.total_nanos() + i128::from(d))
    }

    /// `self - other` as a duration.
    pub(crate) fn diff(&self, other: &Timestamp) -> Result<i64, EvalError> {
        i64::try_from(self.total_nanos() - other.total_nanos()).map_err(|_| EvalError::new("integer overflow"))
    }

    /// Go's `time.Parse(time.RFC3339, s)`: `2006-01-02T15:04:05[.frac](Z|±hh:mm)`.
    pub(crate) fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
        let b = s.as_bytes();
        let bad = || "not an RFC 3339 timestamp".to_string();
        let num = |from: usize, len: usize| -> Result<i64, String> {
            let part = b.get(from..from + len).ok_or_else(bad)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(bad());
            }
            Ok(part.iter().fold(0, |acc, c| acc * 10 + i64::from(c - b'0')))
        };
        let sep = |at: usize, c: u8| if b.get(at) == Some(&c) { Ok(()) } else { Err(bad()) };
        let year = num(0, 4)?;
        sep(4, b'-')?;
        let month = num(5, 2)? as u32;
        sep(7, b'-')?;
        let day = num(8, 2)? as u32;
        sep(10, b'T')?;
        let hour = num(11, 2)?;
        sep(13, b':')?;
        let min = num(14, 2)?;
        sep(16, b':')?;
        let sec = num(17, 2)?;
        let mut i = 19;
        let mut nanos: u32 = 0;
        if b.get(i) == Some(&b'.') {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return Err(bad());
            }
            let frac = num(i + 1, digits)? as u32;
            nanos = frac * 10u32.pow(9 - digits as u32);
            i += 1 + digits;
        }
        let offset = match b.get(i) {
            Some(b'Z') if i + 1 == b.len() => 0,
            Some(c @ (b'+' | b'-')) if i + 6 == b.len() => {
                let h = num(i + 1, 2)?;
                sep(i + 3, b':')?;
                let m = num(i + 4, 2)?;
                if h > 23 || m > 59 {
                    return Err(bad());
                }
                let o = h * 3600 + m * 60;
                if *c == b'-' { -o } else { o }
            }
            _ => return Err(bad()),
        };
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 59
        {
            return Err("date or time out of range".into());
        }
        let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset;
        Timestamp::from_unix(secs, nanos).map_err(|e| e.message)
    }

    /// Go's `time.RFC3339Nano` in UTC (cel-go's `string(timestamp)`).
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d) = civil_from_days(self.secs.div_euclid(86_400));
        let rem = self.secs.rem_euclid(86_400);
        let mut out = format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60);
        if self.nanos > 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }
}

/// The UTC offset, in seconds, a getter's time zone argument names: `UTC` or `±hh:mm`.
fn tz_offset(a: &[Value]) -> Result<i64, EvalError> {
    match a.get(1) {
        None => Ok(0),
        Some(Value::String(tz)) => {
            if &**tz == "UTC" || &**tz == "Z" {
                return Ok(0);
            }
            let b = tz.as_bytes();
            let parse = |s: &[u8]| -> Option<i64> {
                s.iter().all(u8::is_ascii_digit).then(|| s.iter().fold(0, |acc, c| acc * 10 + i64::from(c - b'0')))
            };
            let (sign, rest) = match b.first() {
                Some(b'+') => (1, &b[1..]),
                Some(b'-') => (-1, &b[1..]),
                _ => (1, b),
            };
            let hm =
                rest.iter().position(|c| *c == b':').and_then(|i| Some((parse(&rest[..i])?, parse(&rest[i + 1..])?)));
            match hm {
                Some((h, m)) if !rest.is_empty() && h < 24 && m < 60 => Ok(sign * (h * 3600 + m * 60)),
                _ => Err(EvalError::new(format!("unknown time zone {tz}"))),
            }
        }
        Some(other) => Err(EvalError::no_overload("timestamp getter", &[&a[0], other])),
    }
}

/// A timestamp's calendar fields in the getter's time zone.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    seconds_of_day: i64,
    day_of_week: i64,
    day_of_year: i64,
    millis: i64,
}

fn fields(a: &[Value], name: &str) -> Result<Fields, EvalError> {
    let Value::Timestamp(t) = &a[0] else {
        return Err(EvalError::no_overload(name, &a.iter().collect::<Vec<_>>()));
    };
    let local = t.secs + tz_offset(a)?;
    let days = local.div_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Ok(Fields {
        year,
        month,
        day,
        seconds_of_day: local.rem_euclid(86_400),
        // 1970-01-01 was a Thursday.
        day_of_week: (days + 4).rem_euclid(7),
        day_of_year: days - days_from_civil(year, 1, 1),
        millis: i64::from(t.nanos / 1_000_000),
    })
}

type R = Result<Value, EvalError>;

/// A getter of both durations (the whole duration in `unit` nanoseconds, truncated, as Go's
/// `Hours()`/`Minutes()`… do) and timestamps (`of` the calendar fields).
fn getter(a: &[Value], name: &str, unit: i64, of: fn(&Fields) -> i64) -> R {
    match &a[0] {
        Value::Duration(d) if a.len() == 1 => Ok(Value::Int(d / unit)),
        _ => Ok(Value::Int(of(&fields(a, name)?))),
    }
}

/// A timestamp-only getter.
fn date_getter(a: &[Value], name: &str, of: fn(&Fields) -> i64) -> R {
    Ok(Value::Int(of(&fields(a, name)?)))
}

pub(crate) fn get_hours(a: &[Value]) -> R {
    getter(a, "getHours", 3_600 * NANOS_PER_SEC, |f| f.seconds_of_day / 3600)
}

pub(crate) fn get_minutes(a: &[Value]) -> R {
    getter(a, "getMinutes", 60 * NANOS_PER_SEC, |f| f.seconds_of_day / 60 % 60)
}

pub(crate) fn get_seconds(a: &[Value]) -> R {
    getter(a, "getSeconds", NANOS_PER_SEC, |f| f.seconds_of_day % 60)
}

pub(crate) fn get_milliseconds(a: &[Value]) -> R {
    getter(a, "getMilliseconds", 1_000_000, |f| f.millis)
}

pub(crate) fn get_full_year(a: &[Value]) -> R {
    date_getter(a, "getFullYear", |f| f.year)
}

pub(crate) fn get_month(a: &[Value]) -> R {
    date_getter(a, "getMonth", |f| i64::from(f.month) - 1)
}

pub(crate) fn get_date(a: &[Value]) -> R {
    date_getter(a, "getDate", |f| i64::from(f.day))
}

pub(crate) fn get_day_of_month(a: &[Value]) -> R {
    date_getter(a, "getDayOfMonth", |f| i64::from(f.day) - 1)
}

pub(crate) fn get_day_of_week(a: &[Value]) -> R {
    date_getter(a, "getDayOfWeek", |f| f.day_of_week)
}

pub(crate) fn get_day_of_year(a: &[Value]) -> R {
    date_getter(a, "getDayOfYear", |f| f.day_of_year)
}

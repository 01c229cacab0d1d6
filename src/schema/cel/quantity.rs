//! Kubernetes resource quantities (`k8s.io/apimachinery/pkg/api/resource`), as the quantity
//! library (`k8s.io/apiserver/pkg/cel/library/quantity.go`) uses them: parsed by
//! `ParseQuantity`'s grammar, rounded up to nano precision and capped at 2^63-1, as
//! `ParseQuantity` does — so a value is an integer count of nano-units.

use std::cmp::Ordering;
use std::fmt;

const NANO: i128 = 1_000_000_000;
/// `ParseQuantity` caps magnitudes at the largest int64.
const CAP: i128 = (i64::MAX as i128) * NANO;

const FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_ERROR: &str = "unable to parse quantity's suffix";

/// A quantity: its value in nano-units (`1` is `1_000_000_000`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    nanos: i128,
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.unsigned_abs();
        let (int, frac) = (abs / NANO as u128, abs % NANO as u128);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let frac = format!("{frac:09}");
            write!(f, "{sign}{int}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// The suffix's base-10 and base-2 exponents, per `quantitySuffixer.interpret`.
fn suffix_exponents(suffix: &str) -> Option<(i32, u32)> {
    Some(match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            let e: i64 = s[1..].parse().ok()?;
            (i32::try_from(e).ok()?, 0)
        }
        _ => return None,
    })
}

impl Quantity {
    /// A whole number.
    pub(crate) fn from_int(i: i64) -> Quantity {
        Quantity { nanos: i128::from(i) * NANO }
    }

    /// `resource.ParseQuantity`.
    pub(crate) fn parse(s: &str) -> Result<Quantity, String> {
        if s.is_empty() {
            return Err(FORMAT_ERROR.into());
        }
        let b = s.as_bytes();
        let mut pos = 0;
        let mut negative = false;
        if let Some(c @ (b'-' | b'+')) = b.first() {
            negative = *c == b'-';
            pos = 1;
        }
        let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        let num_end = digits(pos);
        let num = &s[pos..num_end];
        pos = num_end;
        let mut denom = "";
        if b.get(pos) == Some(&b'.') {
            let end = digits(pos + 1);
            denom = &s[pos + 1..end];
            pos = end;
        }
        let suffix_start = pos;
        pos += b[pos..].iter().take_while(|c| b"eEinumkKMGTP".contains(c)).count();
        if matches!(b.get(pos), Some(b'-' | b'+')) {
            pos += 1;
        }
        if digits(pos) != b.len() {
            return Err(FORMAT_ERROR.into());
        }
        let (exp10, exp2) = suffix_exponents(&s[suffix_start..]).ok_or(SUFFIX_ERROR)?;
        let mantissa = format!("{num}{denom}");
        let mantissa = mantissa.trim_start_matches('0');
        let trimmed = mantissa.trim_end_matches('0');
        let zeros = (mantissa.len() - trimmed.len()) as i64;
        let scale = i64::from(exp10) - denom.len() as i64 + zeros + 9;
        let nanos = scaled(trimmed, scale, exp2);
        Ok(Quantity { nanos: if negative { -nanos } else { nanos } })
    }

    pub(crate) fn sign(&self) -> i64 {
        self.nanos.signum() as i64
    }

    /// The value as an int64, if it is a whole number.
    pub(crate) fn as_integer(&self) -> Option<i64> {
        if self.nanos % NANO != 0 {
            return None;
        }
        i64::try_from(self.nanos / NANO).ok()
    }

    pub(crate) fn as_f64(&self) -> f64 {
        self.nanos as f64 / NANO as f64
    }

    pub(crate) fn negated(&self) -> Quantity {
        Quantity { nanos: -self.nanos }
    }

    pub(crate) fn add(&self, other: &Quantity) -> Result<Quantity, String> {
        self.nanos.checked_add(other.nanos).map(|nanos| Quantity { nanos }).ok_or_else(|| "quantity overflow".into())
    }
}

/// `digits × 10^scale × 2^exp2` as a whole number of nano-units (`scale` already counts the
/// nine nano digits), rounded away from zero as `ParseQuantity` rounds, capped at [`CAP`].
/// Values past `i128`'s reach on the way are approximated in `f64`.
fn scaled(digits: &str, scale: i64, exp2: u32) -> i128 {
    if digits.is_empty() {
        return 0;
    }
    // More than 29 digits of nano-units exceed the cap, and more digits only grow the value.
    if scale >= 0 && digits.len() as i64 + scale > 29 {
        return CAP;
    }
    let exact = (|| -> Option<i128> {
        let d: i128 = digits.parse().ok()?;
        let two = 1i128.checked_shl(exp2)?;
        if scale >= 0 {
            d.checked_mul(10i128.checked_pow(u32::try_from(scale).ok()?)?)?.checked_mul(two)
        } else {
            let div = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
            let n = d.checked_mul(two)?;
            Some(n / div + i128::from(n % div != 0))
        }
    })();
    match exact {
        Some(n) => n.min(CAP),
        None => {
            let approx = digits.parse::<f64>().unwrap_or(f64::INFINITY)
                * 10f64.powi(scale.clamp(-400, 400) as i32)
                * 2f64.powi(exp2 as i32);
            if approx >= CAP as f64 { CAP } else { approx.ceil() as i128 }
        }
    }
}

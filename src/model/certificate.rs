//! What istiod checks of a gateway's TLS Secret before it serves it
//! (`pilot/pkg/credentials/kube/secrets.go` `ExtractCertInfo`, `pilot/pkg/xds/sds.go`
//! `ValidateCertificate`): the keys it reads, the PEM block, and the first certificate's validity
//! period. The certificate is read only as far as its validity (a DER walk of `tbsCertificate`),
//! no further: nothing here verifies a signature.

use super::core::Secret;

/// Standard base64 (padded or not; whitespace skipped), as a Secret's `data` holds it.
pub fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The value of a Secret key, decoded: `stringData` as written, `data` from base64.
fn value(s: &Secret, key: &str) -> Option<Vec<u8>> {
    if let Some(v) = s.string_data.as_ref().and_then(|d| d.get(key)) {
        return Some(v.0.as_bytes().to_vec());
    }
    let v = s.data.as_ref()?.get(key)?;
    Some(base64(&v.0).unwrap_or_else(|| v.0.as_bytes().to_vec()))
}

fn has_key(s: &Secret, key: &str) -> bool {
    s.string_data.as_ref().is_some_and(|d| d.contains_key(key)) || s.data.as_ref().is_some_and(|d| d.contains_key(key))
}

/// Why istiod refuses a Secret as a gateway's server credential, at `now` (seconds since the
/// epoch); `None` when it serves it.
pub fn server_credential_problem(s: &Secret, now: i64) -> Option<String> {
    let non_empty = |k: &str| value(s, k).is_some_and(|v| !v.is_empty());
    let cert = if non_empty("cert") && non_empty("key") {
        value(s, "cert")
    } else if non_empty("tls.crt") && non_empty("tls.key") {
        value(s, "tls.crt")
    } else {
        for (c, k) in [("cert", "key"), ("tls.crt", "tls.key")] {
            if has_key(s, c) && has_key(s, k) {
                return Some(format!("it has the keys {c:?} and {k:?}, but they are empty"));
            }
        }
        let mut keys: Vec<&String> =
            s.data.iter().flatten().map(|(k, _)| k).chain(s.string_data.iter().flatten().map(|(k, _)| k)).collect();
        keys.sort();
        keys.dedup();
        let found = keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        return Some(format!(
            "it has neither the keys \"cert\" and \"key\" nor \"tls.crt\" and \"tls.key\" (it has: {found})"
        ));
    }?;
    let text = String::from_utf8_lossy(&cert);
    let Some(der) = pem_certificate(&text) else {
        return Some("its certificate is not a PEM block".into());
    };
    let Some((not_before, not_after)) = validity(&der) else {
        return Some("its certificate does not parse as X.509".into());
    };
    if now > not_after {
        return Some(format!("its certificate expired on {}", date(not_after)));
    }
    if now < not_before {
        return Some(format!("its certificate is not valid before {}", date(not_before)));
    }
    None
}

/// The DER of the first PEM block (`pem.Decode` takes the first block of any type).
fn pem_certificate(text: &str) -> Option<Vec<u8>> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start..];
    let body_start = rest.find('\n')? + 1;
    let end = rest.find("-----END ")?;
    base64(rest.get(body_start..end)?)
}

/// One DER element at `at`: its tag and the range of its contents.
fn tlv(b: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(at)?;
    let first = *b.get(at + 1)? as usize;
    let (len, start) = if first < 0x80 {
        (first, at + 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(at + 2 + i)? as usize;
        }
        (len, at + 2 + n)
    };
    let end = start.checked_add(len)?;
    (end <= b.len()).then_some((tag, start, end))
}

/// `notBefore` and `notAfter` of a certificate, in seconds since the epoch.
fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (0x30, cert, _) = tlv(der, 0)? else { return None };
    let (0x30, tbs, tbs_end) = tlv(der, cert)? else { return None };
    let mut at = tbs;
    let mut next = |want: Option<u8>| -> Option<(u8, usize, usize)> {
        let (tag, s, e) = tlv(der, at)?;
        if want.is_some_and(|w| w != tag) || e > tbs_end {
            return None;
        }
        at = e;
        Some((tag, s, e))
    };
    // [0] version is optional.
    let (tag, _, _) = next(None)?;
    if tag == 0xa0 {
        next(Some(0x02))?;
    } else if tag != 0x02 {
        return None;
    }
    next(Some(0x30))?; // signature algorithm
    next(Some(0x30))?; // issuer
    let (_, v, v_end) = next(Some(0x30))?; // validity
    let (t1, s1, e1) = tlv(der, v)?;
    let (t2, s2, e2) = tlv(der, e1)?;
    if e2 > v_end {
        return None;
    }
    Some((time(t1, &der[s1..e1])?, time(t2, &der[s2..e2])?))
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn time(tag: u8, b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, minute, second) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a time in seconds since the epoch.
fn date(t: i64) -> String {
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_dates() {
        assert_eq!(base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64("aGVsbG8").unwrap(), b"hello");
        assert!(base64("a$b").is_none());
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(date(days_from_civil(2026, 12, 4) * 86_400), "2026-12-04");
        assert_eq!(time(0x17, b"230314025430Z"), Some(days_from_civil(2023, 3, 14) * 86_400 + 2 * 3600 + 54 * 60 + 30));
        assert_eq!(time(0x18, b"21220218061836Z").map(date).as_deref(), Some("2122-02-18"));
    }

    #[test]
    fn keys_and_garbage() {
        let secret = |data: &str| -> Secret {
            serde_json::from_str(&format!(r#"{{"kind": "Secret", "data": {data}}}"#)).unwrap()
        };
        let s = secret(r#"{"cert": "aHVzaA==", "key": "c2VjcmV0"}"#);
        assert_eq!(server_credential_problem(&s, 0).unwrap(), "its certificate is not a PEM block");
        let s = secret(r#"{"tls.cert": "aHVzaA==", "tls.key": "c2VjcmV0"}"#);
        assert!(server_credential_problem(&s, 0).unwrap().contains("it has: tls.cert, tls.key"));
        let s = secret(r#"{"tls.crt": "", "tls.key": ""}"#);
        assert!(server_credential_problem(&s, 0).unwrap().contains("but they are empty"));
    }
}

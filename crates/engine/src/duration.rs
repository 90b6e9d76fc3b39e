//! Durations as users write them: `500ms`, `10s`, `2m`, `1h30m`, `1.5s`, `1d`.

use std::time::Duration;

/// Parses a duration such as `500ms`, `10s`, `1h30m` or `1.5s`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration; write e.g. `500ms`, `10s`, `2m`".into());
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total = 0f64;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if start == i {
            return Err(format!(
                "`{text}` is not a duration: expected a number at `{}`; write e.g. `500ms`, `10s`, `2m`",
                &s[start..]
            ));
        }
        let number: f64 = s[start..i].parse().map_err(|_| {
            format!(
                "`{text}` is not a duration: `{}` is not a number",
                &s[start..i]
            )
        })?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let factor = match &s[unit_start..i] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            "" => {
                return Err(format!(
                    "`{text}` is not a duration: the number needs a unit (ms, s, m, h or d)"
                ));
            }
            other => {
                return Err(format!(
                    "`{text}` is not a duration: unknown unit `{other}` (use ms, s, m, h or d)"
                ));
            }
        };
        total += number * factor;
    }
    if !total.is_finite() || total > 365.0 * 86400.0 {
        return Err(format!("`{text}` is too long a duration (at most 365d)"));
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
    }

    #[test]
    fn rejects_missing_or_unknown_units() {
        assert!(parse("10").unwrap_err().contains("needs a unit"));
        assert!(parse("10y").unwrap_err().contains("unknown unit `y`"));
        assert!(parse("ms").unwrap_err().contains("expected a number"));
        assert!(parse("").is_err());
    }
}

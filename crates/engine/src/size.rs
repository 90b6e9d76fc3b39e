//! Sizes in bytes as users write them, one rule everywhere (server settings, the `http`
//! action's `max_response_size`): `10MiB`, `512KiB`, `1GiB`, `2MB`, `1000` (bytes). `KiB`,
//! `MiB`, `GiB` are powers of 1024 and `KB`, `MB`, `GB` powers of 1000; units ignore case and
//! may follow a space; 0 is refused.

/// Parses a size; the error says what is wrong with `text`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let not_a_size = || format!("`{text}` is not a size (e.g. 10MiB, 512KiB, 1000)");
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit_size: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" => 1 << 10,
        "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        _ => return Err(not_a_size()),
    };
    let number: u64 = number.parse().map_err(|_| not_a_size())?;
    match number.checked_mul(unit_size) {
        Some(0) => Err(format!("`{text}`: a size must be more than 0")),
        Some(n) => Ok(n),
        None => Err(format!("`{text}` is too large")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn binary_and_decimal_units() {
        for (text, want) in [
            ("1000", 1000),
            ("10MiB", 10 << 20),
            ("512 kib", 512 << 10),
            ("2MB", 2_000_000),
            ("1GiB", 1 << 30),
            ("7b", 7),
        ] {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
        for bad in [
            "",
            "0",
            "10 parsecs",
            "-1",
            "1.5MiB",
            "99999999999999999999GiB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}

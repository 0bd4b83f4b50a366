//! Value parsers for flags: every duration, rate, size and AMQP name is checked by clap,
//! so a bad value is a usage error (exit 2) before anything runs, never a panic later.

use std::time::Duration;

/// The longest duration a flag takes: a year is more than any wait warren needs, and far
/// below what `Duration` can hold.
pub const MAX_SECONDS: f64 = 365.0 * 86_400.0;

/// AMQP short strings (names, routing keys, most properties) hold at most this many bytes.
pub const SHORT_STRING_MAX: usize = 255;

/// Seconds as a decimal number (`5`, `0.5`): finite, above zero, at most a year.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !value.is_finite() || value <= 0.0 || value > MAX_SECONDS {
        return Err(format!(
            "`{text}`: expected seconds above 0 and at most {MAX_SECONDS} (a year)"
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// A span of time in humantime's form (`30d`, `12h`, `1w 2d`): above zero, at most ten years.
pub fn span(text: &str) -> Result<Duration, String> {
    let value = humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}`: {e} (expected e.g. 30d, 12h or 2w)"))?;
    if value.is_zero() || value.as_secs_f64() > 10.0 * MAX_SECONDS {
        return Err(format!(
            "`{text}`: expected a span above 0 and at most ten years"
        ));
    }
    Ok(value)
}

/// A short sampling window in humantime's form (`2s`, `500ms`): zero (no sampling) up to a
/// minute.
pub fn window(text: &str) -> Result<Duration, String> {
    let value = humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}`: {e} (expected e.g. 2s or 500ms)"))?;
    if value > Duration::from_secs(60) {
        return Err(format!("`{text}`: expected at most 60s"));
    }
    Ok(value)
}

/// Messages per second: finite, at least one per 1000 s, at most a billion.
pub fn rate(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of messages per second"))?;
    if !value.is_finite() || !(0.001..=1e9).contains(&value) {
        return Err(format!(
            "`{text}`: expected messages per second between 0.001 and 1000000000"
        ));
    }
    Ok(value)
}

/// The time between two sends at `rate` messages per second (in range by [`rate`]).
pub fn interval(rate: f64) -> Duration {
    Duration::from_secs_f64((1.0 / rate).min(MAX_SECONDS))
}

/// An AMQP short string: a queue, exchange, vhost or routing key of at most 255 bytes.
pub fn short_string(text: &str) -> Result<String, String> {
    check_short(text).map(str::to_string)
}

/// `Ok` when `text` fits an AMQP short string; the error says how long it is.
pub fn check_short(text: &str) -> Result<&str, String> {
    if text.len() > SHORT_STRING_MAX {
        return Err(format!(
            "{} bytes long: AMQP names and routing keys hold at most {SHORT_STRING_MAX} bytes",
            text.len()
        ));
    }
    Ok(text)
}

/// A per-message TTL in milliseconds, as AMQP's `expiration` carries it: a non-negative
/// integer written as a string.
pub fn expiration(text: &str) -> Result<String, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.parse::<u64>().is_err()
    {
        return Err(format!(
            "`{text}`: expected a non-negative whole number of milliseconds"
        ));
    }
    Ok(text.to_string())
}

/// The largest `--max-file-size`: far above any topology or envelope file, far below what
/// a 64-bit length can hold.
pub const MAX_FILE_SIZE: u64 = 1 << 40;

/// A size in bytes with an optional unit (`KB MB GB`, `KiB MiB GiB`), as `--where` takes
/// sizes: at least one byte, at most 1 TiB.
pub fn file_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1000,
        "MB" => 1000 * 1000,
        "GB" => 1000 * 1000 * 1000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => {
            return Err(format!(
                "`{text}`: expected a size such as 64MiB, 1GiB or 100000 (units: KB MB GB KiB MiB GiB)"
            ));
        }
    };
    let value = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|n| (1..=MAX_FILE_SIZE).contains(n))
        .ok_or_else(|| format!("`{text}`: expected a size from 1 byte to 1TiB, e.g. 64MiB"))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_finite_positive_and_bounded() {
        assert_eq!(seconds("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["inf", "nan", "-1", "0", "1e20", "abc", ""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_are_bounded() {
        assert_eq!(rate("5000"), Ok(5000.0));
        for bad in ["0", "nan", "-5", "1e-30", "inf", "1e10"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        assert_eq!(interval(2.0), Duration::from_millis(500));
        assert_eq!(interval(0.001), Duration::from_secs(1000));
    }

    #[test]
    fn short_strings_and_expirations() {
        assert!(short_string(&"a".repeat(255)).is_ok());
        assert!(short_string(&"a".repeat(256)).unwrap_err().contains("256"));
        assert_eq!(expiration("60000"), Ok("60000".into()));
        for bad in ["abc", "-5", "", "1.5", "99999999999999999999999"] {
            assert!(expiration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_sizes_take_units_and_are_bounded() {
        assert_eq!(file_size("64MiB"), Ok(64 << 20));
        assert_eq!(file_size("1GiB"), Ok(1 << 30));
        assert_eq!(file_size("2 KB"), Ok(2000));
        assert_eq!(file_size("100000"), Ok(100_000));
        for bad in ["0", "-1", "1.5MiB", "1TB", "2000GiB", "64M", "x", ""] {
            assert!(file_size(bad).is_err(), "{bad}");
        }
    }
}

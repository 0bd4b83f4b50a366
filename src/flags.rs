//! Value parsers for flags: every duration, rate, size and AMQP name is checked by clap,
//! so a bad value is a usage error (exit 2) before anything runs, never a panic later.

use std::time::Duration;

/// The longest duration a flag takes: a year is more than any wait warren needs, and far
/// below what `Duration` can hold.
pub const MAX_SECONDS: f64 = 365.0 * 86_400.0;

/// AMQP short strings (names, routing keys, most properties) hold at most this many bytes.
pub const SHORT_STRING_MAX: usize = 255;

/// What every duration flag says it takes, in its errors and its help.
pub const DURATION_FORMS: &str = "500ms, 5s, 2m, 1h30m or 1w (a bare number is seconds)";

/// A duration in the one grammar of every duration flag: humantime's units (`500ms`, `5s`,
/// `2m`, `1h30m`, `1h 30m`, `1w`), or a bare number of seconds (`5`, `0.5`). Not negative;
/// bounds are the caller's.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if !secs.is_finite() || !(0.0..=100.0 * MAX_SECONDS).contains(&secs) {
            return Err(format!(
                "`{text}`: expected a duration such as {DURATION_FORMS}"
            ));
        }
        return Ok(Duration::from_secs_f64(secs));
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("`{text}`: {e}; expected a duration such as {DURATION_FORMS}"))
}

/// [`parse_duration`] within `min..=max` (`min` zero: zero allowed; otherwise above zero
/// and at least `min`), the bounds said in words as `max_words`.
fn bounded(text: &str, min: Duration, max: Duration, max_words: &str) -> Result<Duration, String> {
    let value = parse_duration(text)?;
    let too_small = if min.is_zero() {
        false
    } else {
        value.is_zero() || value < min
    };
    if too_small || value > max {
        let low = if min.is_zero() {
            "from 0".to_string()
        } else if min == Duration::from_nanos(1) {
            "above 0".to_string()
        } else {
            format!("from {}", humantime::format_duration(min))
        };
        return Err(format!(
            "`{text}`: expected a duration {low} up to {max_words}"
        ));
    }
    Ok(value)
}

/// A wait or a timeout (`--idle-timeout`, `--confirm-timeout`): above zero, at most a year.
pub fn duration(text: &str) -> Result<Duration, String> {
    bounded(
        text,
        Duration::from_nanos(1),
        Duration::from_secs_f64(MAX_SECONDS),
        "a year",
    )
}

/// `--connect-timeout`: from 1 s to an hour.
pub fn connect_timeout(text: &str) -> Result<Duration, String> {
    bounded(
        text,
        Duration::from_secs(1),
        Duration::from_secs(3600),
        "1h",
    )
}

/// A span of time (`--within`, `--idle-longer-than`, `--duration`): above zero, at most
/// ten years.
pub fn span(text: &str) -> Result<Duration, String> {
    bounded(
        text,
        Duration::from_nanos(1),
        Duration::from_secs_f64(10.0 * MAX_SECONDS),
        "ten years",
    )
}

/// A short sampling window (`--rate-window`): zero (no sampling) up to a minute.
pub fn window(text: &str) -> Result<Duration, String> {
    bounded(text, Duration::ZERO, Duration::from_secs(60), "1m")
}

/// `doctor --window`: between two samples, from 1 s to a minute.
pub fn sample_window(text: &str) -> Result<Duration, String> {
    bounded(text, Duration::from_secs(1), Duration::from_secs(60), "1m")
}

/// A pause between two actions (`close --delay`): zero (none) up to ten minutes.
pub fn pause(text: &str) -> Result<Duration, String> {
    bounded(text, Duration::ZERO, Duration::from_secs(600), "10m")
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
    fn every_duration_takes_units_or_bare_seconds() {
        let s = Duration::from_secs;
        assert_eq!(duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("5"), Ok(s(5)));
        assert_eq!(duration("5s"), Ok(s(5)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("2m"), Ok(s(120)));
        assert_eq!(duration("1h30m"), Ok(s(5400)));
        assert_eq!(duration("1h 30m"), Ok(s(5400)));
        assert_eq!(span("1w"), Ok(s(7 * 86_400)));
        for bad in [
            "inf",
            "nan",
            "-1",
            "0",
            "0s",
            "1e20",
            "abc",
            "",
            "5 parsecs",
            "2y",
        ] {
            let err = duration(bad).unwrap_err();
            assert!(err.contains(&format!("`{bad}`")), "{bad}: {err}");
        }
        assert!(duration("abc").unwrap_err().contains("1h30m"));
        assert_eq!(window("0"), Ok(Duration::ZERO));
        assert_eq!(window("0s"), Ok(Duration::ZERO));
        assert!(window("61s").unwrap_err().contains("up to 1m"));
        assert_eq!(pause("200ms"), Ok(Duration::from_millis(200)));
        assert!(pause("11m").is_err());
        assert_eq!(connect_timeout("2m"), Ok(s(120)));
        assert_eq!(connect_timeout("10"), Ok(s(10)));
        let err = connect_timeout("500ms").unwrap_err();
        assert!(err.contains("from 1s up to 1h"), "{err}");
        assert!(connect_timeout("2h").is_err());
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

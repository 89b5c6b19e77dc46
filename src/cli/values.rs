//! Value parsers for the flags: whole numbers in a range, sizes, durations, addresses.
//! Each refuses a value with a message that says what is accepted, which clap prints
//! after "invalid value '...' for '--flag <NAME>': " and before the usage line.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::LARGEST_BODY;

/// A value parser for a whole number from `min` to `max`. Its error names the range,
/// where Rust's own says "invalid digit found in string".
pub fn whole_number<T>(
    min: u64,
    max: u64,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64>,
{
    move |text: &str| {
        text.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| {
                if max == u64::MAX {
                    format!("expected a whole number, at least {min}")
                } else {
                    format!("expected a whole number from {min} to {max}")
                }
            })
    }
}

/// The most worker counts one sweep may take.
pub const MAX_WORKER_COUNTS: usize = 64;

/// `--workers`: one count (`4`), a list (`1,2,4,8`) or an inclusive range (`1..=8`,
/// also `1..8` for 1 to 7), each from 1 to `max`. Duplicates are dropped; the order
/// is kept.
pub fn worker_counts(
    max: usize,
) -> impl Fn(&str) -> Result<WorkerCounts, String> + Clone + Send + Sync {
    move |text: &str| {
        let text = text.trim();
        let bad = || {
            format!("expected a count from 1 to {max}, a list like 1,2,4,8, or a range like 1..=8")
        };
        let count = |part: &str| {
            part.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(bad)
        };
        let counts: Vec<usize> = if let Some((low, high)) = text.split_once("..") {
            let (high, inclusive) = match high.strip_prefix('=') {
                Some(high) => (high, true),
                None => (high, false),
            };
            let (low, high) = (
                count(low)?,
                high.trim().parse::<usize>().map_err(|_| bad())?,
            );
            let high = if inclusive {
                high
            } else {
                high.saturating_sub(1)
            };
            if high < low || high > max {
                return Err(bad());
            }
            (low..=high).collect()
        } else {
            text.split(',').map(count).collect::<Result<_, _>>()?
        };
        let mut seen = Vec::with_capacity(counts.len());
        for n in counts {
            if !seen.contains(&n) {
                seen.push(n);
            }
        }
        if seen.len() > MAX_WORKER_COUNTS {
            return Err(format!(
                "at most {MAX_WORKER_COUNTS} worker counts in one sweep"
            ));
        }
        Ok(WorkerCounts(seen))
    }
}

/// The worker counts of `--workers`, in order, without duplicates, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCounts(pub Vec<usize>);

/// [`whole_number`] with no upper bound but the type's own.
pub fn at_least<T>(min: u64) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64>,
{
    whole_number(min, u64::MAX)
}

/// A duration more than zero.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err("the timeout must be more than 0, e.g. 10s".to_string()),
        timeout => Ok(timeout),
    }
}

/// What a size may look like, for error messages.
const SIZE_FORMS: &str = "bytes (10240 or 10240B) or IEC units (10KiB, 1.5MiB, 1GiB)";

/// Parses a size as the output prints it: plain bytes (`10240`, `10240B`) or IEC
/// units (`10KiB`, `4MiB`, `1GiB`, `1TiB`; `10.0 KiB` and `1.5MiB` too, when they come
/// to a whole number of bytes). Units are case-insensitive.
///
/// Decimal and bare units (`k`, `KB`, `MB`, `GB`) are refused: half of the world's
/// tools read `KB` as 1000 and the other half as 1024, so the error spells out both
/// readings.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit = unit.trim_start();
    let value: f64 = number
        .parse()
        .map_err(|_| format!("expected a size: {SIZE_FORMS}"))?;
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        ambiguous @ ("k" | "kb" | "m" | "mb" | "g" | "gb" | "t" | "tb") => {
            let (iec, decimal) = match ambiguous.as_bytes()[0] {
                b'k' => ("KiB", 1e3),
                b'm' => ("MiB", 1e6),
                b'g' => ("GiB", 1e9),
                _ => ("TiB", 1e12),
            };
            return Err(format!(
                "ambiguous: write {number}{iec} for units of 1024, or the number of bytes \
                 ({}); sizes are {SIZE_FORMS}",
                value * decimal
            ));
        }
        _ => return Err(format!("expected a size: {SIZE_FORMS}")),
    };
    let bytes = value * scale as f64;
    if bytes.fract() != 0.0 {
        return Err("not a whole number of bytes".to_string());
    }
    if bytes >= u64::MAX as f64 {
        return Err("too large".to_string());
    }
    Ok(bytes as u64)
}

/// [`parse_size`] for a body the built-in server makes, at most [`LARGEST_BODY`].
pub fn parse_body_size(text: &str) -> Result<usize, String> {
    let bytes = parse_size(text)?;
    usize::try_from(bytes)
        .ok()
        .filter(|&b| b <= LARGEST_BODY)
        .ok_or_else(|| {
            format!(
                "larger than the largest body the built-in server makes, 1GiB ({LARGEST_BODY} \
                 bytes)"
            )
        })
}

/// Parses `50ms`, `1.5s`, `200us`, `2m` or a bare `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 50ms, 1.5s or 0"))?;
    let scale = match unit {
        "" if value == 0.0 => 0.0,
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        _ => return Err(format!("'{text}' needs a unit: ns, us, ms, s or m")),
    };
    Duration::try_from_secs_f64(value * scale).map_err(|e| format!("'{text}': {e}"))
}

/// The forms `--addr` takes, for its error message.
const ADDR_FORMS: &str = "expected IP:PORT, :PORT, localhost:PORT or PORT (0 to 65535), \
                          e.g. 127.0.0.1:8080, :8080, localhost:8080, 8080, or 0.0.0.0:8080 \
                          for every interface";

/// Parses `--addr`: `127.0.0.1:8080` or `[::1]:8080`; `:8080`, `localhost:8080` and a
/// bare `8080` on 127.0.0.1. localhost is not looked up: it always means 127.0.0.1.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let on_loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    if let Ok(port) = text.parse::<u16>() {
        return Ok(on_loopback(port));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    match text.rsplit_once(':') {
        Some((host, port)) if host.is_empty() || host.eq_ignore_ascii_case("localhost") => port
            .parse::<u16>()
            .map(on_loopback)
            .map_err(|_| ADDR_FORMS.to_string()),
        _ => Err(ADDR_FORMS.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("200us"), Ok(Duration::from_micros(200)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(
            parse_timeout("0"),
            Err("the timeout must be more than 0, e.g. 10s".to_string())
        );
    }

    #[test]
    fn sizes_read_as_the_output_prints_them() {
        assert_eq!(parse_size("10240"), Ok(10_240));
        assert_eq!(parse_size("10240B"), Ok(10_240));
        assert_eq!(parse_size("10KiB"), Ok(10_240));
        assert_eq!(parse_size("10.0 KiB"), Ok(10_240));
        assert_eq!(parse_size("1.5MiB"), Ok(3 << 19));
        assert_eq!(parse_size("4mib"), Ok(4 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        let message = parse_size("10k").unwrap_err();
        assert!(
            message.starts_with(
                "ambiguous: write 10KiB for units of 1024, or the number of bytes (10000)"
            ),
            "{message}"
        );
        assert!(parse_size("4MB").unwrap_err().contains("4MiB"));
        assert_eq!(
            parse_size("1.1KiB"),
            Err("not a whole number of bytes".to_string())
        );
        for bad in ["", "KiB", "ten", "-1", "10 parsecs", "1.2.3"] {
            let message = parse_size(bad).unwrap_err();
            assert!(message.contains("10KiB, 1.5MiB, 1GiB"), "{bad}: {message}");
        }
        assert!(parse_size("99999999TiB").is_err());
    }

    #[test]
    fn bodies_stop_at_one_gib() {
        assert_eq!(parse_body_size("1GiB"), Ok(1 << 30));
        let message = parse_body_size("100000000000").unwrap_err();
        assert!(message.contains("largest body"), "{message}");
        assert!(message.contains("1GiB"), "{message}");
    }

    #[test]
    fn addresses_take_the_forms_people_type() {
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        for (text, addr) in [
            ("127.0.0.1:8080", loopback(8080)),
            (":8080", loopback(8080)),
            ("localhost:8080", loopback(8080)),
            ("LOCALHOST:0", loopback(0)),
            ("8080", loopback(8080)),
            ("0.0.0.0:80", SocketAddr::from(([0, 0, 0, 0], 80))),
        ] {
            assert_eq!(parse_addr(text), Ok(addr), "{text}");
        }
        assert_eq!(parse_addr("[::1]:8080").unwrap().port(), 8080);
        for bad in [
            "",
            "80800",
            ":http",
            "example.com:80",
            "127.0.0.1",
            "localhost",
        ] {
            let message = parse_addr(bad).unwrap_err();
            assert!(
                message.contains("e.g. 127.0.0.1:8080, :8080"),
                "{bad}: {message}"
            );
        }
    }

    #[test]
    fn whole_numbers_name_their_range() {
        let workers = whole_number::<usize>(1, 1024);
        assert_eq!(workers("4"), Ok(4));
        assert_eq!(workers("1024"), Ok(1024));
        let expected = Err("expected a whole number from 1 to 1024".to_string());
        for bad in ["0", "1025", "1.5", "-1", "four", ""] {
            assert_eq!(workers(bad), expected, "{bad}");
        }
        let runs = at_least::<u32>(1);
        assert_eq!(runs("3"), Ok(3));
        assert_eq!(
            runs("0"),
            Err("expected a whole number, at least 1".to_string())
        );
        assert!(runs("4294967296").is_err(), "past u32::MAX");
    }

    #[test]
    fn worker_counts_take_one_a_list_or_a_range() {
        let parse = worker_counts(1024);
        let counts = |text| parse(text).map(|c| c.0);
        assert_eq!(counts("4"), Ok(vec![4]));
        assert_eq!(counts("1,2,4,8"), Ok(vec![1, 2, 4, 8]));
        assert_eq!(counts("1..=4"), Ok(vec![1, 2, 3, 4]));
        assert_eq!(counts("1..4"), Ok(vec![1, 2, 3]));
        assert_eq!(counts("2,2,1"), Ok(vec![2, 1]));
        for bad in [
            "0", "1.5", "", "1,,2", "4..=2", "1..=2000", "x..=3", "1..1", "1025",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("1..=100").is_err(), "more than 64 counts");
    }
}

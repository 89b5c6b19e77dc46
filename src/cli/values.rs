//! Value parsers for the flags: whole numbers in a range, sizes, durations, addresses.
//! Each refuses a value with a message that says what is accepted, which clap prints
//! after "invalid value '...' for `'--flag <NAME>'`: " and before the usage line.

use std::net::SocketAddr;
use std::time::Duration;

use crate::error::quote;
use crate::limits::LARGEST_BODY;

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
pub(super) const MAX_WORKER_COUNTS: usize = 64;

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
        let too_many = || format!("at most {MAX_WORKER_COUNTS} worker counts in one sweep");
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
            // Counted before it is built: under a large `max`, 1..=1000000000 would be.
            if high - low >= MAX_WORKER_COUNTS {
                return Err(too_many());
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
            return Err(too_many());
        }
        Ok(WorkerCounts(seen))
    }
}

/// The worker counts of `--workers`, in order, without duplicates, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCounts(pub Vec<usize>);

/// `--tasks`: task counts, one or a comma list (1000,10000,100000), each from 1 to
/// `max`, run in increasing order.
pub fn task_counts(
    max: usize,
) -> impl Fn(&str) -> Result<TaskCounts, String> + Clone + Send + Sync {
    move |text: &str| {
        let mut counts = text
            .split(',')
            .map(|part| {
                let part = part.trim().replace('_', "");
                part.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "expected task counts from 1 to {max}, one or a list like 1000,10000"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        counts.sort_unstable();
        counts.dedup();
        Ok(TaskCounts(counts))
    }
}

/// Parsed `--tasks`: distinct counts, increasing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCounts(pub Vec<usize>);

/// [`whole_number`] with no upper bound but the type's own.
pub fn at_least<T>(min: u64) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64>,
{
    whole_number(min, u64::MAX)
}

/// `--precision`: a fraction strictly between 0 and 1, written as a percentage (`1%`)
/// or a number (`0.01`). A number above 1 without `%` is refused with both readings,
/// as `--max-regression` does: `2` is more likely 2 % than 200 %.
pub fn parse_precision(text: &str) -> Result<f64, String> {
    const EXPECTED: &str =
        "expected a fraction between 0 and 1: a percentage (1%) or a number (0.01)";
    let trimmed = text.trim();
    let (number, percent) = match trimmed.strip_suffix('%') {
        Some(number) => (number.trim_end(), true),
        None => (trimmed, false),
    };
    let value: f64 = number.parse().map_err(|_| EXPECTED.to_string())?;
    if !percent && value > 1.0 && value < 100.0 {
        return Err(format!(
            "{number} would be {} %; write {number}% or {}",
            value * 100.0,
            value / 100.0
        ));
    }
    let fraction = if percent { value / 100.0 } else { value };
    if fraction > 0.0 && fraction < 1.0 {
        Ok(fraction)
    } else {
        Err(EXPECTED.to_string())
    }
}

/// `--max-regression`: parses "10%", "10 %" or "0.1" into 0.10. A bare number must be a fraction (at most
/// 1), so that "10" is not silently read as 1000 %.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, percent) = match trimmed.strip_suffix('%') {
        Some(number) => (number.trim_end(), true),
        None => (trimmed, false),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a fraction (expected e.g. 10% or 0.1)"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "'{text}' must be a non-negative fraction (e.g. 10% or 0.1)"
        ));
    }
    if percent {
        Ok(value / 100.0)
    } else if value > 1.0 {
        Err(format!(
            "'{text}' is read as a fraction ({} %); write {text}% or {}",
            value * 100.0,
            value / 100.0
        ))
    } else {
        Ok(value)
    }
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
    match scaled(number, scale.into()) {
        Some((_, false)) => Err("not a whole number of bytes".to_string()),
        Some((bytes, true)) => u64::try_from(bytes).map_err(|_| "too large".to_string()),
        None => Err("too large".to_string()),
    }
}

/// `number` times `unit`, exactly: `number` is decimal digits with at most one `.`
/// (`10`, `1.5`, `.5`, `2.`). Returns the whole part of the product and whether that
/// is all of it; `None` when it passes `u128` or `number` is not such a number.
///
/// Integer arithmetic, where `f64` would round: `9007199254740993` bytes is not
/// `9007199254740992`, and `1.0000000000000001KiB` is not 1024 bytes.
fn scaled(number: &str, unit: u128) -> Option<(u128, bool)> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digit = |c: u8| c.is_ascii_digit().then(|| u128::from(c - b'0'));
    let mut product = 0u128;
    for c in whole.bytes() {
        product = product.checked_mul(10)?.checked_add(digit(c)?)?;
    }
    product = product.checked_mul(unit)?;
    // fraction × unit, one digit at a time from the last: each step divides by ten
    // what the digits after it came to, which stays below `unit`.
    let (mut part, mut exact) = (0u128, true);
    for c in fraction.bytes().rev() {
        let tenfold = digit(c)?.checked_mul(unit)?.checked_add(part)?;
        exact &= tenfold % 10 == 0;
        part = tenfold / 10;
    }
    Some((product.checked_add(part)?, exact))
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

/// Parses `50ms`, `1.5s`, `200us`, `2m` or a bare `0`, exactly to the nanosecond
/// (a finer fraction is rounded to the nearest one).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{} is not a duration like 50ms, 1.5s or 0", quote(text)))?;
    let nanos_per: u128 = match unit {
        "" if value == 0.0 => 0,
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        _ => return Err(format!("{} needs a unit: ns, us, ms, s or m", quote(text))),
    };
    // Twice the nanoseconds, rounded down, gives the nearest nanosecond (half up).
    scaled(number, 2 * nanos_per)
        .map(|(twice, _)| twice.div_ceil(2))
        .and_then(|nanos| {
            let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
            Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
        })
        .ok_or_else(|| format!("{} is longer than a duration can be", quote(text)))
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
    fn fractions_parse_from_percent_or_plain() {
        assert_eq!(parse_fraction("10%"), Ok(0.10));
        assert_eq!(parse_fraction(" 10 % "), Ok(0.10));
        assert_eq!(parse_fraction("0.1"), Ok(0.1));
        assert_eq!(parse_fraction("0"), Ok(0.0));
        assert_eq!(parse_fraction("2.5%"), Ok(0.025));
        assert!(parse_fraction("10").unwrap_err().contains("write 10%"));
        assert!(parse_fraction("-5%").is_err());
        assert!(parse_fraction("ten").is_err());
        assert!(parse_fraction("").is_err());
        assert!(parse_fraction("inf").is_err());
        assert!(parse_fraction("%").is_err());
    }

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

    /// Found by tests/properties.rs: through f64, `279620.21m` was 16777212.600000001s
    /// and `15040276120317653us` 15040276120.317651749s.
    #[test]
    fn durations_are_exact_to_the_nanosecond() {
        let nanos = |n: u64| Duration::from_nanos(n);
        assert_eq!(
            parse_duration("279620.21m"),
            Ok(Duration::from_millis(16_777_212_600))
        );
        assert_eq!(
            parse_duration("15040276120317653us"),
            Ok(Duration::from_micros(15_040_276_120_317_653))
        );
        assert_eq!(parse_duration("0.3s"), Ok(nanos(300_000_000)));
        assert_eq!(parse_duration(".5us"), Ok(nanos(500)));
        assert_eq!(parse_duration("2.ms"), Ok(nanos(2_000_000)));
        // Finer than a nanosecond: the nearest one, half up.
        assert_eq!(parse_duration("0.4ns"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0.5ns"), Ok(nanos(1)));
        assert_eq!(parse_duration("2.9999999999s"), Ok(Duration::from_secs(3)));
        let most = format!("{}s", u64::MAX);
        assert_eq!(parse_duration(&most), Ok(Duration::from_secs(u64::MAX)));
        let past_u128 = format!("1{}ns", "0".repeat(40));
        for too_long in ["18446744073709551616s", "307445734561825861m", &past_u128] {
            let message = parse_duration(too_long).unwrap_err();
            assert!(message.contains("longer than a duration"), "{message}");
        }
    }

    /// Found by tests/properties.rs: a control character in the text made the
    /// message two lines.
    #[test]
    fn duration_errors_are_one_line() {
        assert_eq!(
            parse_duration("0\n0"),
            Err("'0\\n0' needs a unit: ns, us, ms, s or m".to_string())
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

    /// Found by tests/properties.rs: through f64, `12732388707820321` bytes was
    /// 12732388707820320, u64::MAX itself was "too large", and a fraction too fine for
    /// an f64 passed for whole bytes.
    #[test]
    fn sizes_are_exact() {
        assert_eq!(parse_size("12732388707820321"), Ok(12_732_388_707_820_321));
        assert_eq!(parse_size("18446744073709551615B"), Ok(u64::MAX));
        assert_eq!(
            parse_size("18446744073709551616"),
            Err("too large".to_string())
        );
        assert_eq!(parse_size("16777216TiB"), Err("too large".to_string()));
        assert_eq!(
            parse_size("16777215.999TiB"),
            Err("not a whole number of bytes".to_string())
        );
        assert_eq!(
            parse_size("1.0000000000000001KiB"),
            Err("not a whole number of bytes".to_string())
        );
        assert_eq!(parse_size("0.0009765625KiB"), Ok(1));
        // 2^-40 has 40 decimal places.
        assert_eq!(
            parse_size("0.0000000000009094947017729282379150390625TiB"),
            Ok(1)
        );
        assert_eq!(parse_size(".5KiB"), Ok(512));
        assert_eq!(parse_size("3.KiB"), Ok(3072));
        assert_eq!(
            parse_size("1.50000000000000000000000000000MiB"),
            Ok(3 << 19)
        );
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
    fn precisions_are_fractions_between_0_and_1() {
        assert_eq!(parse_precision("1%"), Ok(0.01));
        assert_eq!(parse_precision(" 2.5 % "), Ok(0.025));
        assert_eq!(parse_precision("0.01"), Ok(0.01));
        for refused in [
            "garbage", "", "0", "0%", "1", "100%", "-1%", "NaN", "inf", "150",
        ] {
            assert!(parse_precision(refused).is_err(), "{refused}");
        }
        assert_eq!(
            parse_precision("2"),
            Err("2 would be 200 %; write 2% or 0.02".to_string())
        );
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

    /// A range is counted before it is built, whatever the maximum: under
    /// `usize::MAX` this range used to be collected first, 8 GB of counts.
    #[test]
    fn a_huge_range_is_refused_before_it_is_built() {
        let parse = worker_counts(usize::MAX);
        assert_eq!(
            parse("1..=1000000000").map(|c| c.0),
            Err("at most 64 worker counts in one sweep".to_string())
        );
        assert_eq!(parse("1..=64").map(|c| c.0.len()), Ok(64));
        let top = format!("{}..={}", usize::MAX - 1, usize::MAX);
        assert_eq!(
            parse(&top).map(|c| c.0),
            Ok(vec![usize::MAX - 1, usize::MAX])
        );
    }
}

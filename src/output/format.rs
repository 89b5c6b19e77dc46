//! Numbers as short human strings, with units picked by magnitude.

/// `1.23 s`, `45.6 ms`, `789 µs`, `12.0 ns`: three significant digits.
pub(crate) fn seconds(value: f64) -> String {
    if !value.is_finite() {
        return "-".to_string();
    }
    if value == 0.0 {
        return "0 s".to_string();
    }
    let (scaled, unit) = match value.abs() {
        v if v >= 1.0 => (value, "s"),
        v if v >= 1e-3 => (value * 1e3, "ms"),
        v if v >= 1e-6 => (value * 1e6, "µs"),
        _ => (value * 1e9, "ns"),
    };
    format!("{} {unit}", three_digits(scaled))
}

/// Two durations, the unit said once when they share it: `50.5/51.4 ms`, or
/// `55.6 ms/10.0 s`.
pub(crate) fn seconds_pair(a: f64, b: f64) -> String {
    let (first, second) = (seconds(a), seconds(b));
    match (first.split_once(' '), second.split_once(' ')) {
        (Some((x, unit_a)), Some((y, unit_b))) if unit_a == unit_b => format!("{x}/{y} {unit_a}"),
        _ => format!("{first}/{second}"),
    }
}

/// A value in the unit of another, so `mean ± σ` reads in one unit: `1.02 ± 0.03 s`.
pub(crate) fn mean_pm(mean: f64, stddev: f64) -> String {
    let text = seconds(mean);
    let Some((_, unit)) = text.split_once(' ') else {
        return text;
    };
    let scale = match unit {
        "s" => 1.0,
        "ms" => 1e3,
        "µs" => 1e6,
        _ => 1e9,
    };
    format!(
        "{} ± {} {unit}",
        three_digits(mean * scale),
        three_digits(stddev * scale)
    )
}

fn three_digits(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

/// `12.3 MiB`.
pub(crate) fn bytes(value: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut scaled = value as f64;
    let mut unit = 0;
    while scaled >= 1024.0 && unit < UNITS.len() - 1 {
        scaled /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value} B")
    } else {
        format!("{} {}", three_digits(scaled), UNITS[unit])
    }
}

/// `1.97×`, or `-` when there is no ratio.
pub(crate) fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.2}×"))
}

/// `98 %`, or `-`.
pub(crate) fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{:.0} %", v * 100.0))
}

/// A confidence level: `95 %`, `99.9 %`.
pub(crate) fn level(value: f64) -> String {
    let percent = value * 100.0;
    if (percent - percent.round()).abs() < 1e-9 {
        format!("{percent:.0} %")
    } else {
        format!("{percent:.1} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_pick_a_unit() {
        assert_eq!(seconds(1.2345), "1.23 s");
        assert_eq!(seconds(0.0456), "45.6 ms");
        assert_eq!(seconds(0.000789), "789 µs");
        assert_eq!(seconds(12e-9), "12.0 ns");
        assert_eq!(seconds(f64::NAN), "-");
        assert_eq!(mean_pm(0.0456, 0.0012), "45.6 ± 1.20 ms");
    }

    #[test]
    fn bytes_and_ratios() {
        assert_eq!(level(0.95), "95 %");
        assert_eq!(level(0.999), "99.9 %");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(10_240), "10.0 KiB");
        assert_eq!(bytes(5 << 20), "5.00 MiB");
        assert_eq!(ratio(Some(1.966)), "1.97×");
        assert_eq!(ratio(None), "-");
        assert_eq!(percent(Some(0.984)), "98 %");
    }
}

/// A count with thousands separated by commas: `32,751`.
pub(crate) fn count(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(super::count(7), "7");
        assert_eq!(super::count(1_000), "1,000");
        assert_eq!(super::count(32_751), "32,751");
        assert_eq!(super::count(1_000_000), "1,000,000");
    }
}

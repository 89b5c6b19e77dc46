//! Verification: every model computed the same, right, answer.
//!
//! The cpu job's results are checked item by item against the closed form; the io
//! job's bodies against the CRC-32 the built-in server sent for each path, or, for
//! real sites, against what every other model read. Each mismatch becomes a line in
//! [`Analysis::problems`]; a site whose body changes between requests is named in
//! the rows' `verify_note` instead, since it cannot be compared.

use std::collections::BTreeMap;

use super::Analysis;
use crate::runner::ModelRuns;
use crate::workload::Outputs;
use crate::workload::io::Fetch;

/// What the I/O job must download, when known in advance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpectedBodies {
    /// The built-in target: the CRC-32 of each request's body, in input order (the
    /// server's bodies are deterministic per path), and the size of every body.
    Exactly { digests: Vec<u32>, body_bytes: u64 },
    /// Real sites: unknown, but for each URL every model and run must agree, unless
    /// the site itself changes between requests.
    Consistent,
}

/// The first CPU result that is not the closed form's, in words; `None` when every
/// item is right.
pub(super) fn wrong_values(
    got: &[u128],
    expected: &[u128],
    numbers: &[u64],
    kernel: &str,
) -> Option<String> {
    if got.len() != expected.len() {
        return Some(format!(
            "{} results for {} numbers",
            got.len(),
            expected.len()
        ));
    }
    let index = got.iter().zip(expected).position(|(g, e)| g != e)?;
    Some(format!(
        "wrong {kernel} for n = {}: got {}, expected {}",
        numbers[index], got[index], expected[index]
    ))
}

/// The order-independent fingerprint of a CPU result list: the wrapping sum.
pub(crate) fn checksum(values: &[u128]) -> u128 {
    values.iter().fold(0u128, |acc, v| acc.wrapping_add(*v))
}

/// The first body of a run that is not the server's, and how many are not; `None`
/// when every successful request read exactly its body.
pub(super) fn wrong_bodies(
    fetches: &[Fetch],
    urls: &[String],
    digests: &[u32],
    body_bytes: u64,
) -> Option<String> {
    let wrong: Vec<usize> = fetches
        .iter()
        .zip(digests)
        .enumerate()
        .filter(|(_, (f, want))| {
            f.failure.is_none() && (f.digest != Some(**want) || f.bytes != body_bytes)
        })
        .map(|(i, _)| i)
        .collect();
    let &first = wrong.first()?;
    let fetch = &fetches[first];
    Some(format!(
        "{} of {} bodies differ from what the server sent; the first, {}, read {} bytes \
         with CRC-32 {:08x}, expected {body_bytes} bytes with {:08x}",
        wrong.len(),
        fetches.len(),
        urls.get(first).map_or("?", String::as_str),
        fetch.bytes,
        fetch.digest.unwrap_or(0),
        digests[first],
    ))
}

/// A fingerprint of a run's bodies: the CRC-32 of their digests in input order (0 for
/// a failed request).
pub(crate) fn digest_of_digests(fetches: &[Fetch]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for fetch in fetches {
        hasher.update(&fetch.digest.unwrap_or(0).to_le_bytes());
    }
    hasher.finalize()
}

/// `--sites`: for each URL, every model must have read the same body. A URL whose
/// body changed between requests of one model is a dynamic site: it cannot be
/// compared, and the rows' `verify_note` names it (the first [`NAMED_SITES`]).
pub(super) fn sites_agree(urls: &[String], models: &[ModelRuns], analysis: &mut Analysis) {
    use std::collections::BTreeSet;
    // url -> model index -> the distinct digests that model read for it.
    let mut seen: BTreeMap<&str, Vec<BTreeSet<u32>>> = BTreeMap::new();
    for (m, model) in models.iter().enumerate() {
        for measurement in &model.measurements {
            let Outputs::Io(fetches) = &measurement.outputs else {
                continue;
            };
            for (url, fetch) in urls.iter().zip(fetches) {
                let Some(digest) = fetch.digest else { continue };
                let per_model = seen
                    .entry(url)
                    .or_insert_with(|| vec![BTreeSet::new(); models.len()]);
                per_model[m].insert(digest);
            }
        }
    }
    let dynamic: Vec<&str> = seen
        .iter()
        .filter(|(_, per_model)| per_model.iter().any(|d| d.len() > 1))
        .map(|(url, _)| *url)
        .collect();
    let mut differs = vec![Vec::new(); models.len()];
    for (url, per_model) in &seen {
        if per_model.iter().any(|d| d.len() > 1) {
            continue;
        }
        // The reference: the first model that read this URL (sequential comes first).
        let Some(reference) = per_model.iter().find_map(|d| d.first()) else {
            continue;
        };
        for (m, digests) in per_model.iter().enumerate() {
            if digests.first().is_some_and(|d| d != reference) {
                differs[m].push(*url);
            }
        }
    }
    let compared = seen.len() - dynamic.len();
    for (m, row) in analysis.rows.iter_mut().enumerate() {
        if let Some(&first) = differs[m].first() {
            row.verified = false;
            analysis.problems.push(format!(
                "{}: {} of {compared} sites returned a different body than to the other \
                 models, first {first}",
                row.strategy,
                differs[m].len()
            ));
        }
        if !dynamic.is_empty() {
            row.verify_note = Some(format!(
                "{} of {} sites changed between requests (dynamic) and were not \
                 compared: {}",
                dynamic.len(),
                seen.len(),
                first_few(&dynamic)
            ));
        }
    }
}

/// How many URLs a note names before "and N more": enough to recognise the site,
/// few enough for a table cell.
pub(super) const NAMED_SITES: usize = 3;

/// `a`, `a and b`, `a, b and c`, or `a, b, c and 4 more`.
pub(super) fn first_few(urls: &[&str]) -> String {
    match urls {
        [] => String::new(),
        [only] => only.to_string(),
        _ if urls.len() <= NAMED_SITES => format!(
            "{} and {}",
            urls[..urls.len() - 1].join(", "),
            urls[urls.len() - 1]
        ),
        _ => format!(
            "{} and {} more",
            urls[..NAMED_SITES].join(", "),
            urls.len() - NAMED_SITES
        ),
    }
}

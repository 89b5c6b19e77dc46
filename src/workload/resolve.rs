//! How the blocking client finds a host's address without starting a thread.
//!
//! ureq's own resolver looks every request's host up on a new thread whenever a
//! timeout is set (so that the timeout bounds the lookup), even when the host is an
//! IP address and even when the connection is then reused: 160 requests of the
//! "sequential" model started 160 threads that no census saw. [`Resolver`] replaces
//! it:
//!
//! - an **IP address** (the built-in target's 127.0.0.1, `[::1]`) is the address: no
//!   lookup, no thread;
//! - a **host name** that was resolved before the clock started ([`Resolved`], filled
//!   by the `io` command for a `--sites` file, each distinct host once, by
//!   [`resolve_before_the_clock`]) is answered from that table: no lookup, no thread,
//!   and every model connects to the same addresses. A name that did not resolve
//!   fails at once (a `connect` failure, in every model);
//! - any **other host name** is looked up on the calling thread (`getaddrinfo`), so
//!   that no thread is started, bounded by the system resolver's own timeouts
//!   (`/etc/resolv.conf`), not by `--timeout`.
//!
//! So the census of a blocking model shows exactly the threads the model names,
//! whatever the URLs.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver as UreqResolver};
use ureq::unversioned::transport::NextTimeout;

/// Host names resolved before the clock: each name (lower case) to its addresses;
/// an empty list for a name that did not resolve (`--allow-failures`), so that its
/// requests fail at once, in every model alike, instead of being looked up again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved(pub BTreeMap<String, Vec<IpAddr>>);

impl Resolved {
    /// The addresses of `host`, if it was looked up before the clock.
    pub fn get(&self, host: &str) -> Option<&[IpAddr]> {
        self.0.get(&host.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// Records the addresses of `host` (none: it did not resolve).
    pub fn insert(&mut self, host: &str, addrs: Vec<IpAddr>) {
        self.0.insert(host.to_ascii_lowercase(), addrs);
    }
}

/// Why a host of a sites list did not resolve before the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub host: String,
    /// The system resolver's words, or that `--timeout` passed first.
    pub reason: String,
}

/// Looks up every distinct host name of `urls` once, all at once, each bounded by
/// `timeout`, before anything is timed. IP addresses need no lookup and are left
/// out. Returns the table (a name that failed maps to no address) and the names that
/// failed, in the order of their first URL.
///
/// Each lookup runs on a thread of its own in this process, the parent of every
/// measured run, so none of them is in any run's census; a lookup that outlives the
/// timeout is left to finish on its detached thread.
pub fn resolve_before_the_clock(
    urls: &[String],
    timeout: std::time::Duration,
) -> (Resolved, Vec<Unresolved>) {
    let mut hosts: Vec<String> = Vec::new();
    for url in urls {
        let Ok(url) = url::Url::parse(url) else {
            continue;
        };
        if let Some(url::Host::Domain(name)) = url.host() {
            let name = name.to_ascii_lowercase();
            if !hosts.contains(&name) {
                hosts.push(name);
            }
        }
    }
    let (send, receive) = std::sync::mpsc::channel();
    for (index, host) in hosts.iter().enumerate() {
        let (answer, host) = (send.clone(), host.clone());
        let spawned = std::thread::Builder::new()
            .name("resolve".into())
            .spawn(move || {
                let found = (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<IpAddr>>());
                let _ = answer.send((index, found));
            });
        if let Err(e) = spawned {
            let _ = send.send((index, Err(e)));
        }
    }
    drop(send);
    let mut answers: Vec<Option<Result<Vec<IpAddr>, String>>> = vec![None; hosts.len()];
    let deadline = std::time::Instant::now() + timeout;
    while answers.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match receive.recv_timeout(left) {
            Ok((index, found)) => {
                answers[index] = Some(match found {
                    Ok(addrs) if addrs.is_empty() => Err("no address".to_string()),
                    Ok(addrs) => Ok(addrs),
                    Err(e) => Err(lookup_error(&e)),
                });
            }
            Err(_) => break,
        }
    }
    let mut resolved = Resolved::default();
    let mut failed = Vec::new();
    for (host, answer) in hosts.into_iter().zip(answers) {
        let answer = answer.unwrap_or_else(|| {
            Err(format!(
                "no answer within --timeout {}",
                crate::output::format::seconds(timeout.as_secs_f64())
            ))
        });
        match answer {
            Ok(addrs) => resolved.insert(&host, addrs),
            Err(reason) => {
                resolved.insert(&host, Vec::new());
                failed.push(Unresolved { host, reason });
            }
        }
    }
    (resolved, failed)
}

/// The system resolver's reason, without std's "failed to lookup address
/// information: " prefix.
fn lookup_error(error: &std::io::Error) -> String {
    let text = error.to_string();
    text.strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text)
        .to_string()
}

/// The blocking client's resolver (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    resolved: Arc<Resolved>,
}

impl Resolver {
    pub fn new(resolved: Resolved) -> Resolver {
        Resolver {
            resolved: Arc::new(resolved),
        }
    }

    /// The addresses for `host` (as it appears in a URL, IPv6 in brackets) and
    /// `port`, by the rules in the module docs; empty when there are none.
    pub fn addresses(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        if let Some(addrs) = self.resolved.get(bare) {
            return Ok(addrs.iter().map(|&ip| SocketAddr::new(ip, port)).collect());
        }
        Ok((bare, port).to_socket_addrs()?.collect())
    }
}

/// The async client's resolver: reqwest asks only for names (an IP address in a URL
/// is connected to directly), and sets the port itself. A name from the table is
/// answered at once; any other is looked up on the calling worker thread rather than
/// on tokio's blocking pool, so that no thread is started (it never happens for a
/// sites list, whose names are all in the table).
impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = self
            .addresses(name.as_str(), 0)
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
            .and_then(|addrs| {
                if addrs.is_empty() {
                    Err(format!("{} did not resolve before the run", name.as_str()).into())
                } else {
                    Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
                }
            });
        Box::pin(std::future::ready(found))
    }
}

impl UreqResolver for Resolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let authority = uri
            .authority()
            .ok_or_else(|| ureq::Error::BadUri(format!("{uri}: no host")))?;
        let port = match authority.port_u16() {
            Some(port) => port,
            None => match uri.scheme_str() {
                Some("http") => 80,
                Some("https") => 443,
                other => {
                    return Err(ureq::Error::BadUri(format!(
                        "{uri}: unknown scheme {}",
                        other.unwrap_or("(none)")
                    )));
                }
            },
        };
        let addrs = self.addresses(authority.host(), port)?;
        let mut result = self.empty();
        for addr in config.ip_family().keep_wanted(addrs.into_iter()).take(16) {
            result.push(addr);
        }
        if result.is_empty() {
            Err(ureq::Error::HostNotFound)
        } else {
            Ok(result)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ip_address_is_its_own_address() {
        let resolver = Resolver::default();
        assert_eq!(
            resolver.addresses("127.0.0.1", 8080).unwrap(),
            vec!["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(
            resolver.addresses("[::1]", 80).unwrap(),
            vec!["[::1]:80".parse().unwrap()]
        );
    }

    /// A name resolved before the clock is answered from the table, whatever the
    /// system resolver would say (`.invalid` never resolves, RFC 2606).
    #[test]
    fn a_name_resolved_before_the_clock_is_answered_from_the_table() {
        let mut resolved = Resolved::default();
        resolved.insert("Site.invalid", vec!["127.0.0.1".parse().unwrap()]);
        resolved.insert("gone.invalid", Vec::new());
        let resolver = Resolver::new(resolved);
        assert_eq!(
            resolver.addresses("site.invalid", 443).unwrap(),
            vec!["127.0.0.1:443".parse().unwrap()]
        );
        // Known not to resolve: no address, and no second lookup.
        assert_eq!(resolver.addresses("gone.invalid", 80).unwrap(), vec![]);
    }

    /// Every distinct name once; addresses left out; a name that does not resolve
    /// (`.invalid`, RFC 2606, with or without a network) is named with the reason.
    #[test]
    fn names_are_resolved_once_before_the_clock_and_failures_named() {
        let urls: Vec<String> = [
            "http://localhost:1/a",
            "http://LOCALHOST:2/b",
            "http://127.0.0.1:3/",
            "https://nowhere.invalid/x",
            "http://nowhere.invalid/y",
        ]
        .iter()
        .map(|u| u.to_string())
        .collect();
        let (resolved, failed) =
            resolve_before_the_clock(&urls, std::time::Duration::from_secs(10));
        let names: Vec<&String> = resolved.0.keys().collect();
        assert_eq!(names, ["localhost", "nowhere.invalid"]);
        assert!(!resolved.get("localhost").unwrap().is_empty());
        assert_eq!(resolved.get("nowhere.invalid"), Some(&[][..]));
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].host, "nowhere.invalid");
        assert!(!failed[0].reason.is_empty());
    }

    /// The resolver itself starts no thread, for an address or a name. (The count is
    /// the process's, so it is compared with threads started by nothing else here:
    /// this test runs its lookups on one thread and checks its own difference.)
    #[test]
    fn resolving_starts_no_thread() {
        let resolver = Resolver::default();
        let config = ureq::config::Config::default();
        let uri: Uri = "http://127.0.0.1:1/x".parse().unwrap();
        let timeout = NextTimeout {
            after: std::time::Duration::from_secs(5).into(),
            ..NextTimeout::default()
        };
        let before = crate::census::threads_started();
        for _ in 0..50 {
            let addrs = UreqResolver::resolve(&resolver, &uri, &config, timeout).unwrap();
            assert_eq!(addrs.len(), 1);
        }
        // Other tests may start threads meanwhile, but never 50.
        let started = crate::census::threads_started().unwrap() - before.unwrap();
        assert!(started < 50, "{started} threads started");
    }
}

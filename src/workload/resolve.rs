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
//!   by the `io` command for a `--sites` file, each distinct host once) is answered
//!   from that table: no lookup, no thread, and every model connects to the same
//!   addresses;
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

/// Host names resolved before the clock: `host:port` to its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved(pub BTreeMap<String, Vec<SocketAddr>>);

impl Resolved {
    /// The addresses of `host:port`, if it was resolved before the clock.
    pub fn get(&self, host: &str, port: u16) -> Option<&[SocketAddr]> {
        self.0.get(&key(host, port)).map(Vec::as_slice)
    }

    /// Records the addresses of `host:port`.
    pub fn insert(&mut self, host: &str, port: u16, addrs: Vec<SocketAddr>) {
        self.0.insert(key(host, port), addrs);
    }
}

fn key(host: &str, port: u16) -> String {
    format!("{}:{port}", host.to_ascii_lowercase())
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
        if let Some(addrs) = self.resolved.get(bare, port) {
            return Ok(addrs.to_vec());
        }
        Ok((bare, port).to_socket_addrs()?.collect())
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
        resolved.insert("Site.invalid", 443, vec!["127.0.0.1:9".parse().unwrap()]);
        let resolver = Resolver::new(resolved);
        assert_eq!(
            resolver.addresses("site.invalid", 443).unwrap(),
            vec!["127.0.0.1:9".parse().unwrap()]
        );
        assert!(
            resolver
                .addresses("site.invalid", 80)
                .map_or(true, |a| a.is_empty())
        );
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

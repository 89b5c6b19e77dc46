//! `concbench serve`: the command around the server library ([`crate::server`]).
//!
//! The library serves a listener with its own settings until told to stop; this
//! command binds the address the flags name, prints the URL alone on stdout's first
//! line (for scripts, and for [`crate::target`]), tells a person the settings and
//! "Ctrl-C to stop" on stderr, and turns SIGINT and SIGTERM into the shutdown.

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::{Context as _, bail};

use crate::config::ServeConfig;
use crate::output::format;
use crate::server::{self, listen};

/// The `concbench serve` command, blocking.
///
/// Refuses a non-loopback address unless the user typed it (`explicit_addr`);
/// builds a multi-thread tokio runtime with `workers` threads; binds the address;
/// prints `http://IP:PORT/` alone as the first line of stdout and flushes it; with
/// `announce`, prints the settings and "Ctrl-C to stop" on stderr; then serves until
/// Ctrl-C (SIGINT) or SIGTERM and returns `Ok(())` after the graceful shutdown of
/// [`server::serve`].
pub(crate) fn run(config: &ServeConfig) -> anyhow::Result<()> {
    let addr = config.addr;
    if !config.explicit_addr && !addr.ip().to_canonical().is_loopback() {
        bail!(
            "refusing to bind non-loopback address {addr}; pass it explicitly with --addr to allow"
        );
    }
    if config.workers == 0 {
        bail!("the server needs at least 1 worker thread");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers)
        .enable_all()
        .build()
        .context("building the server's tokio runtime")?;

    runtime.block_on(async {
        let listener = listen(addr).with_context(|| format!("binding {addr}"))?;
        let local = listener
            .local_addr()
            .with_context(|| format!("reading the local address bound for {addr}"))?;
        // Install the handlers before announcing the URL, so that a signal
        // sent as soon as the URL is read is not lost.
        let stop = shutdown_signal()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "http://{local}/").context("printing the server URL")?;
        stdout.flush().context("printing the server URL")?;
        drop(stdout);
        if config.announce {
            // For a person; a closed stderr does not stop the server.
            let _ = write!(std::io::stderr().lock(), "{}", announcement(config, local));
        }
        server::serve(listener, config.settings, stop).await
    })
}

/// What `concbench serve` tells a person on stderr once it listens on `local`.
fn announcement(config: &ServeConfig, local: SocketAddr) -> String {
    let ip = local.ip().to_canonical();
    let reach = if ip.is_loopback() {
        "loopback only: this machine alone can connect"
    } else if ip.is_unspecified() {
        "every interface: other machines can connect"
    } else {
        "other machines can connect"
    };
    let settings = config.settings;
    let log = if config.settings.log {
        "each request is logged below: method, path, status, body bytes, time to respond"
    } else {
        "no request log (--log for one)"
    };
    format!(
        "concbench serve on http://{local}/ ({reach})\n  \
         any method and path: 200 OK with a {} body after {} latency\n  \
         {} worker thread{}; {log}\n\
         Ctrl-C to stop\n",
        format::bytes(settings.body_bytes as u64),
        format::seconds(settings.latency.as_secs_f64()),
        config.workers,
        if config.workers == 1 { "" } else { "s" },
    )
}

/// A future that completes on the first SIGINT or SIGTERM. The handlers are
/// installed when this function returns, not when the future is first polled.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("installing a SIGINT handler")?;
    let mut terminate = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that completes on the first Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{DEFAULT_IDLE_TIMEOUT, ServerSettings};
    use std::time::Duration;

    fn settings(latency_ms: u64, body_bytes: usize) -> ServerSettings {
        ServerSettings {
            latency: Duration::from_millis(latency_ms),
            body_bytes,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            log: false,
        }
    }

    /// `concbench serve` on `addr` with one worker, not told the address explicitly.
    fn serve_config(addr: SocketAddr, workers: usize) -> ServeConfig {
        ServeConfig {
            addr,
            explicit_addr: false,
            settings: settings(0, 10),
            workers,
            announce: false,
            exit_with_parent: false,
        }
    }

    #[test]
    fn run_refuses_a_non_loopback_address_without_the_flag() {
        for addr in ["0.0.0.0:0", "192.0.2.1:8080", "[::]:0"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let err = run(&serve_config(addr, 1)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "refusing to bind non-loopback address {addr}; pass it explicitly with --addr to allow"
                )
            );
        }
    }

    #[test]
    fn run_refuses_zero_threads() {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert!(run(&serve_config(addr, 0)).is_err());
    }

    #[test]
    fn run_names_the_address_it_cannot_bind() {
        // Hold a port so that binding it again fails.
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        let err = run(&serve_config(addr, 1)).unwrap_err();
        assert!(format!("{err:#}").contains(&addr.to_string()), "{err:#}");
    }

    #[test]
    fn the_announcement_gives_the_settings_and_how_to_stop() {
        let mut config = serve_config("127.0.0.1:0".parse().unwrap(), 2);
        config.settings = settings(50, 10_240);
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            announcement(&config, local),
            "concbench serve on http://127.0.0.1:8080/ (loopback only: this machine alone can connect)\n  \
             any method and path: 200 OK with a 10.0 KiB body after 50.0 ms latency\n  \
             2 worker threads; no request log (--log for one)\n\
             Ctrl-C to stop\n"
        );
        config.settings.log = true;
        config.workers = 1;
        let text = announcement(&config, "0.0.0.0:80".parse().unwrap());
        assert!(
            text.contains("(every interface: other machines can connect)"),
            "{text}"
        );
        assert!(
            text.contains("1 worker thread; each request is logged"),
            "{text}"
        );
    }
}

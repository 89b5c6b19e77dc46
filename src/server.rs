//! TEMPORARY STUB until the server lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerSettings {
    pub latency: std::time::Duration,
    pub body_bytes: usize,
}
pub fn run(
    _addr: std::net::SocketAddr,
    _settings: ServerSettings,
    _allow_non_loopback: bool,
    _threads: Option<usize>,
) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

//! The response bodies: deterministic, one per path, and cheap to serve.
//!
//! Every body begins with its path, so that a client handed another request's bytes
//! is caught by its digest; the rest is a slice of one pattern built once per body
//! size, queued for a vectored write and never copied.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;

/// The repeating pattern that fills every response body after its path's header.
pub(super) const BODY_PATTERN: &[u8; 37] = b"0123456789abcdefghijklmnopqrstuvwxyz\n";

/// Every body of one size, for any path, built once: the pattern repeated over `len`
/// bytes. [`Bodies::for_path`] puts the path's header in front of a slice of it.
#[derive(Debug, Clone)]
pub struct Bodies {
    pattern: Bytes,
    len: usize,
}

impl Bodies {
    pub fn new(len: usize) -> Bodies {
        let pattern = BODY_PATTERN
            .iter()
            .copied()
            .cycle()
            .take(len)
            .collect::<Vec<u8>>();
        Bodies {
            pattern: pattern.into(),
            len,
        }
    }

    /// The body for `path`: `path`, a newline, then the pattern repeated from its
    /// start, cut to `len` bytes. The header (the path and its newline) is copied,
    /// once per request; the rest is a slice of the shared pattern, not copied.
    ///
    /// The header makes the body name its path: two paths get different bodies
    /// whenever the body is longer than the shorter of the two paths (an HTTP path
    /// holds no newline, so where one path's header ends in `\n` the other's holds a
    /// byte of its path, or the two differ before that). A client that hands back
    /// another request's bytes is then caught by its digest. A body too short for
    /// that is the first `len` bytes of each path, shared by two paths whose first
    /// `len` bytes agree (at 2 bytes `/1` and `/10` both get `/1`); at 0 bytes every
    /// body is empty and only its length is checked. The paths of a run, `/0` to
    /// `/159`, get 160 different bodies from 4 bytes up.
    pub fn for_path(&self, path: &str) -> PathBody {
        let header = self.len.min(path.len() + 1);
        let mut head = Vec::with_capacity(header);
        head.extend(path.bytes().chain([b'\n']).take(header));
        PathBody {
            head: head.into(),
            tail: self.pattern.slice(..self.len - header),
        }
    }
}

/// One path's body as the server sends it, in two frames: the path's header and a
/// slice of the shared pattern. Its exact size gives the response its
/// `Content-Length`, and hyper queues both frames for one vectored write.
#[derive(Debug, Clone)]
pub struct PathBody {
    head: Bytes,
    tail: Bytes,
}

impl PathBody {
    /// The body's bytes in one buffer (a copy); for clients and tests.
    pub fn to_bytes(&self) -> Bytes {
        [&self.head[..], &self.tail[..]].concat().into()
    }

    /// The CRC-32 of the body, as a client that read it whole computes it.
    pub fn crc32(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&self.head);
        hasher.update(&self.tail);
        hasher.finalize()
    }
}

impl hyper::body::Body for PathBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let next = if !this.head.is_empty() {
            std::mem::take(&mut this.head)
        } else if !this.tail.is_empty() {
            std::mem::take(&mut this.tail)
        } else {
            return Poll::Ready(None);
        };
        Poll::Ready(Some(Ok(hyper::body::Frame::data(next))))
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_empty() && self.tail.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact((self.head.len() + self.tail.len()) as u64)
    }
}

/// The deterministic body the server sends for `path`, in one buffer: `path`, `\n`,
/// then `b"0123456789abcdefghijklmnopqrstuvwxyz\n"` repeated, cut to `len` bytes.
/// See [`Bodies::for_path`] for when two paths' bodies differ.
pub fn body(path: &str, len: usize) -> Bytes {
    Bodies::new(len).for_path(path).to_bytes()
}

//! `concbench worker`: the child side of the process pool.
//!
//! Reads [`Request`]s from stdin, answers each on stdout, and exits 0 on `Shutdown`
//! (after answering it with its own census: threads and peak memory) or at end of
//! input, so a worker whose parent died (its stdin closes) exits by itself.
//! It also dies with its parent (see [`super::die_with_parent`]), which covers a parent
//! killed while this worker is busy with a long task.

use std::io::{BufReader, BufWriter, Write};

use anyhow::bail;

use super::protocol::{Request, Response, Task, TaskOutput, WorkerInit, encode, read_message};
use crate::census;
use crate::workload::io;

/// Runs the worker loop on this process's stdin and stdout.
pub fn run() -> anyhow::Result<()> {
    super::die_with_parent(libc::SIGKILL);
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    let mut line = String::new();
    let mut pending = Vec::new();
    let mut client = None;
    let mut max_body = 0;
    while let Some(request) = read_message::<_, Request>(&mut input, &mut line)? {
        let response = match request {
            Request::Init {
                init: WorkerInit::Cpu,
            } => {
                census::mark();
                Response::Ready
            }
            Request::Init {
                init: WorkerInit::Io(settings),
            } => {
                max_body = settings.max_body_bytes;
                client = Some(io::blocking_client(&settings));
                census::mark();
                Response::Ready
            }
            Request::Task {
                id,
                task: Task::Cpu { kernel, n },
            } => Response::Done {
                id,
                output: TaskOutput::Cpu(kernel.run(n)),
            },
            Request::Task {
                id,
                task: Task::Fetch { url },
            } => match &client {
                Some(client) => {
                    let fetch = io::fetch_blocking(client, &url, max_body);
                    Response::Done {
                        id,
                        output: TaskOutput::Fetch(fetch),
                    }
                }
                None => Response::Failed {
                    message: "fetch before an io init".into(),
                },
            },
            Request::Shutdown => {
                drop(client.take());
                let bye = Response::Bye {
                    census: census::this_process(),
                };
                encode(&mut pending, &bye)?;
                output.write_all(&pending)?;
                output.flush()?;
                return Ok(());
            }
        };
        let failed = matches!(response, Response::Failed { .. });
        encode(&mut pending, &response)?;
        // Answer in one write once no more requests are already waiting here: the
        // parent queues a few tasks ahead, and each write is a system call.
        if failed || input.buffer().is_empty() {
            output.write_all(&pending)?;
            output.flush()?;
            pending.clear();
        }
        if failed {
            bail!("worker stopped after a failure");
        }
    }
    Ok(())
}

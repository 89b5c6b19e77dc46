//! The tasks job: N tasks that each wait on a timer, then return their index.
//!
//! It measures the third classic lesson, what a *waiting* task costs: a thread per
//! task, a tokio task per task, a process per task. Each task is its own unit of
//! concurrency, never an item queued on a pool, so only the models that can hold N
//! tasks at once run it ([`crate::strategy::Model::run_tasks`]).
//!
//! Every model runs it in two steps. It starts the N tasks, each of which waits at a
//! start gate; once all are waiting, the model reads its memory (N tasks held at
//! once, whatever it cost to start them) and opens the gate; each task then sleeps
//! `--wait` on a timer and returns its index. Without the gate, a model slower to
//! start its tasks than `--wait` (a thousand processes take over a second) would
//! never hold all of them at once. So `start_s` is the price of starting N tasks,
//! and `back_s − wait` the lateness of N timers firing together.
//!
//! Each model counts the indices where they come back, in a [`Tally`] (a bit per
//! task), and hands back a [`TasksOutcome`]: a million indices need not cross the
//! run process's pipe to be checked, and the check is the same code for every model.
//! When the OS refuses a thread or a process part way, the model releases and reaps
//! everything it started and says so in [`Refusal`]: a result, not an error.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The tasks job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TasksJob {
    /// Tasks held at once.
    pub tasks: usize,
    /// How long each task waits before it returns.
    #[serde(with = "duration_s")]
    pub wait: Duration,
}

/// The OS said no part way: how many tasks were running, and its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Tasks started (and running) when the next one was refused.
    pub at: usize,
    /// The error, as the OS gave it: `Resource temporarily unavailable (os error 11)`.
    pub reason: String,
}

/// What a model's run of the tasks job came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasksOutcome {
    /// Tasks asked for.
    pub tasks: usize,
    /// Tasks started: all of them, or as many as the OS allowed.
    pub started: usize,
    /// Seconds from the first start to every task waiting at the gate.
    pub start_s: f64,
    /// Seconds from the gate's opening to the last index back: the wait, and how
    /// late the N timers were.
    pub back_s: f64,
    /// Distinct indices that came back.
    pub returned: usize,
    /// Indices that came back more than once, or that no task was given.
    pub wrong: usize,
    /// `Some` when the OS refused a task; the rest were then released early.
    pub refused: Option<Refusal>,
}

impl TasksOutcome {
    /// Every task started, and every index came back exactly once.
    pub fn verified(&self) -> bool {
        self.refused.is_none()
            && self.started == self.tasks
            && self.returned == self.tasks
            && self.wrong == 0
    }
}

/// The indices that came back, one bit each.
#[derive(Debug)]
pub struct Tally {
    seen: Vec<u64>,
    tasks: usize,
    returned: usize,
    wrong: usize,
}

impl Tally {
    pub fn new(tasks: usize) -> Tally {
        Tally {
            seen: vec![0; tasks.div_ceil(64)],
            tasks,
            returned: 0,
            wrong: 0,
        }
    }

    /// Counts one returned index: new, repeated, or out of range.
    pub fn record(&mut self, index: usize) {
        if index >= self.tasks {
            self.wrong += 1;
            return;
        }
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if self.seen[word] & bit == 0 {
            self.seen[word] |= bit;
            self.returned += 1;
        } else {
            self.wrong += 1;
        }
    }

    /// The outcome of a run that started `started` tasks in `start_s` seconds and had
    /// the last back `back_s` after the gate opened.
    pub fn outcome(
        self,
        started: usize,
        start_s: f64,
        back_s: f64,
        refused: Option<Refusal>,
    ) -> TasksOutcome {
        TasksOutcome {
            tasks: self.tasks,
            started,
            start_s,
            back_s,
            returned: self.returned,
            wrong: self.wrong,
            refused,
        }
    }
}

/// A `Duration` as seconds in JSON.
mod duration_s {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_once_is_verified_and_nothing_else_is() {
        let mut tally = Tally::new(130);
        for i in 0..130 {
            tally.record(i);
        }
        assert!(tally.outcome(130, 0.1, 1.0, None).verified());

        let mut twice = Tally::new(3);
        for i in [0, 1, 1] {
            twice.record(i);
        }
        let outcome = twice.outcome(3, 0.1, 1.0, None);
        assert_eq!((outcome.returned, outcome.wrong), (2, 1));
        assert!(!outcome.verified());

        let mut stranger = Tally::new(2);
        for i in [0, 1, 2] {
            stranger.record(i);
        }
        assert!(!stranger.outcome(2, 0.1, 1.0, None).verified());

        let mut refused = Tally::new(4);
        for i in 0..2 {
            refused.record(i);
        }
        let refusal = Refusal {
            at: 2,
            reason: "Resource temporarily unavailable".into(),
        };
        assert!(!refused.outcome(2, 0.1, 0.0, Some(refusal)).verified());
    }
}

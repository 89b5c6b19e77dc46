"""The tasks job's tally, shared by the models that hold N tasks at once.

The outcome is the Rust `TasksOutcome` (src/workload/tasks.rs): tasks asked for and
started, seconds to start them all and from the gate's opening to the last index
back, distinct indices returned, wrong ones (twice, or never given), and the OS's
refusal if it said no part way.
"""


class Tally:
    """The indices that came back, each once."""

    def __init__(self, tasks):
        self.tasks = tasks
        self.seen = bytearray(tasks)
        self.returned = 0
        self.wrong = 0

    def record(self, index):
        if not 0 <= index < self.tasks or self.seen[index]:
            self.wrong += 1
            return
        self.seen[index] = 1
        self.returned += 1

    def outcome(self, started, start_s, back_s, refused=None):
        return {
            "tasks": self.tasks,
            "started": started,
            "start_s": start_s,
            "back_s": back_s,
            "returned": self.returned,
            "wrong": self.wrong,
            "refused": refused,
        }

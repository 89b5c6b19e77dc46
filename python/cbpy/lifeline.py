"""A run, and each of its pool workers, dies with the process that started it.

concbench kills a run that overstays its time limit together with its whole process
group; but if concbench itself dies (a CI job killed, a crash), nothing would tell a
run, and a pool worker would wait on its task queue for ever. On Linux
`prctl(PR_SET_PDEATHSIG, SIGKILL)` makes the kernel kill this process when the
thread that started it exits, as the Rust side's `die_with_parent` does. Elsewhere,
or without ctypes, it does nothing: the run still ends when its work does.
"""

import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent():
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (ImportError, OSError, AttributeError):
        return
    # The parent may have died before the call above; then we were re-parented.
    if os.getppid() != parent:
        os._exit(1)

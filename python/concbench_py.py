#!/usr/bin/env python3
"""concbench's Python half: one measured run of a CPython concurrency model.

concbench (`--python`) starts this script in a fresh interpreter for every measured
run, writes one line of JSON on its stdin (the run spec) and reads one line of JSON
from its stdout (the run sample). See README.md in this folder for the contract and
cbpy/ for the code; `--version-info` prints what this interpreter can run.

This file is kept to syntax every Python can parse, so that an interpreter too old
to run the harness still gets as far as refusing it in one line.
"""

import os
import sys

if sys.version_info < (3, 9):
    sys.stderr.write(
        "error: concbench's Python models need Python 3.9 or newer; this is %s\n"
        % sys.version.split()[0]
    )
    sys.exit(1)

# The harness sits beside this file: import it from here even when Python does not
# put the script's folder on the path (-P, PYTHONSAFEPATH).
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from cbpy.main import main  # noqa: E402  (after the version gate, on purpose)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

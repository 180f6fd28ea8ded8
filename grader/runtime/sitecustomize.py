"""Start-up hook for sandboxed interpreters.

The sandbox puts this folder on PYTHONPATH, so Python imports this module before any
student code runs. It only registers import hooks; nothing is imported eagerly, so a
run that never touches Keras pays nothing.
"""

import os
import sys

if os.environ.get("GRADER_OUT"):
    try:
        import grader_probe

        grader_probe.install()
    except Exception as exc:  # a probe bug must never stop a student's code from running
        sys.stderr.write(f"[grader] probe not installed: {exc!r}\n")

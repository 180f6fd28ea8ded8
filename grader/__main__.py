"""``python -m grader``: the same command line as ``grader``."""

import sys

from grader.errors import ExitCode

try:
    from grader.cli.app import main
except ImportError as exc:  # a broken install is the grader's failure: never exit 1, a submission's
    import traceback

    traceback.print_exc()
    print(f"grader: the command line cannot be loaded ({exc}); the installation is broken", file=sys.stderr)
    sys.exit(ExitCode.GRADER)

if __name__ == "__main__":
    main(prog_name="grader")

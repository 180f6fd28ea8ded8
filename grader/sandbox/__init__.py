"""Running untrusted code: isolation detection, resource limits, and the run itself."""

from grader.sandbox.runner import SandboxRequest, SandboxResult, run_sandboxed

__all__ = ["SandboxRequest", "SandboxResult", "run_sandboxed"]

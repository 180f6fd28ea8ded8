"""Where submissions run: this machine's worker processes, or a Ray cluster."""

from __future__ import annotations

from typing import Any

from grader.pipeline.executors.base import Executor, Job, JobOutcome, default_cores, detect_gpus, run_job

EXECUTORS = ("local", "ray")


def make_executor(kind: str, *, jobs: int, cpus_per_job: int, datasets: Any = None, gpus: list[str] | None = None,
                  address: str | None = None) -> Executor:
    """An executor by name: 'local' (worker processes here) or 'ray' (tasks on a Ray cluster)."""
    from grader.errors import ConfigError

    if kind == "local":
        from grader.pipeline.executors.local import LocalExecutor

        return LocalExecutor(jobs, datasets=datasets, cpus_per_job=cpus_per_job, gpus=gpus)
    if kind == "ray":
        from grader.pipeline.executors.ray import RayExecutor

        return RayExecutor(jobs, datasets=datasets, cpus_per_job=cpus_per_job, address=address,
                           gpus_per_job=1 if gpus else 0)
    raise ConfigError(f"unknown executor '{kind}'; choose from {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "Executor", "Job", "JobOutcome", "default_cores", "detect_gpus", "make_executor", "run_job"]

"""Options shared by several commands: ``--compat``, ``--adapt``, ``--seed``, ``--weights`` and the report formats of
``--format``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, TypeVar

import click

from grader.errors import ConfigError
from grader.evidence.shims import ADAPT_MODES, COMPAT_MODES

F = TypeVar("F", bound=Callable[..., object])
OFF = "none"


def compat_option(fn: F) -> F:
    return click.option(
        "--compat", type=click.Choice([*COMPAT_MODES, OFF]), default=None,
        help="keras2: let Keras 2 calls (SGD(lr=...), np_utils, predict_classes, history['acc'], nb_epoch, "
             "fit_generator, ...) run on Keras 3 and list each one forgiven; none: plain Keras 3. "
             "Default: the rubric's limits.compat, else none.")(fn)


def resolve_compat(option: str | None, rubric_default: str | None = None) -> str | None:
    """The mode a run gets: the option when given (``none`` turns a rubric's mode off), else the rubric's."""
    if option is None:
        return rubric_default
    return None if option == OFF else option


def adapt_option(fn: F) -> F:
    return click.option(
        "--adapt", type=click.Choice(list(ADAPT_MODES)), default=None,
        help="on (default): adapt what differs because the grader's machine is not the student's (GPU lines on a "
             "CPU grader, visualkeras/plot_model, Keras 3 relocations such as keras.preprocessing.image."
             "ImageDataGenerator) and list each adaptation; none: run the code exactly as written.")(fn)


def _use_weights(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # The sandbox runner reads the store from $GRADER_WEIGHTS when a request names none, in this process
    # and in executors it starts; setting it here serves every run of the command, however it is executed.
    if value is None:
        return
    import os

    from grader.weights.store import WeightsStore

    os.environ[WeightsStore.ENV_VAR] = str(WeightsStore.resolve(value).root)  # ConfigError: no such folder


def weights_option(fn: F) -> F:
    return click.option(
        "--weights", metavar="DIR", expose_value=False, callback=_use_weights,
        help="Pretrained weights served to submissions (VGG16(weights='imagenet'), ...): a folder filled with "
             "`grader weights fetch NAME`. Default: $GRADER_WEIGHTS, else $GRADER_CACHE/weights.")(fn)


class SeedType(click.ParamType):
    """``--seed``: a number from 0 to 2**32-1, or ``none``."""

    name = "N|none"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | str:
        if isinstance(value, int) or value == OFF:
            return value
        try:
            number = int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number nor 'none'", param, ctx)
        if not 0 <= number < 2**32:
            self.fail(f"{number} is outside 0 to 2**32-1", param, ctx)
        return number


def seed_option(fn: F) -> F:
    return click.option(
        "--seed", type=SeedType(), default=None,
        help="Seed Python's random, NumPy, TensorFlow and Keras before the submission's first line and turn on "
             "TensorFlow's op determinism, so a rerun gives the same figures (a seed the submission sets itself "
             "still wins); none: unseeded, as before. Default: the rubric's limits.seed, else 1.")(fn)


# The format and audience names live in grader.render, whose import brings in every renderer and the
# grading package: the options below look them up only when help is shown or a value is used, so that
# `grader --help` and `grader run` start in a fraction of a second.

class FormatOption(click.Option):
    """``--format``: the names registered in :mod:`grader.render.registry`; `defaults` gives the default."""

    def __init__(self, *args: Any, defaults: Callable[[], Sequence[str]] | None = None, note: str = "",
                 **kwargs: Any):
        super().__init__(*args, default=(lambda: ",".join(defaults())) if defaults else None, **kwargs)
        self.defaults, self.note = defaults, note

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from grader.render.registry import formats as registered

        self.help = f"Comma-separated: {', '.join(registered())}{self.note}."
        if self.defaults:  # what the callable default gives, shown as click shows a plain one
            self.default, self.show_default = ",".join(self.defaults()), True
        return super().get_help_record(ctx)


def format_option(defaults: Callable[[], Sequence[str]] | None = None, note: str = "") -> Callable[[F], F]:
    """``--format`` (the command's parameter ``format_text``); parse it with :func:`formats`."""
    return click.option("--format", "format_text", cls=FormatOption, defaults=defaults, note=note)


class AudienceChoice(click.Choice):  # type: ignore[type-arg]
    """The audiences of :mod:`grader.render.audience`, looked up when first needed."""

    def __init__(self) -> None:
        self.case_sensitive = True

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        from grader.render.audience import AUDIENCES

        return AUDIENCES


def formats(text: str | None, default: Sequence[str] = ()) -> list[str]:
    """The formats a ``--format`` value names (``default`` when not given); raises ConfigError."""
    from grader.render.registry import parse_formats

    try:
        return parse_formats(default if text is None else text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


__all__ = ["OFF", "AudienceChoice", "FormatOption", "adapt_option", "compat_option", "format_option", "formats",
           "resolve_compat", "seed_option", "weights_option"]

"""Field types shared by the rubric models: validated names and the immutable base class."""

from __future__ import annotations

from typing import Annotated, Any, Callable

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

from grader.rubric import names


class RubricModel(BaseModel):
    """Base of every rubric model: immutable, and unknown keys are errors (typos must not pass)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _checked(family: str, normalise: Callable[[str], str], known: set[str] | dict[str, str]) -> Callable[[str], str]:
    # A dict maps canonical keys to display names (layer kinds: 'maxpooling2d' -> 'MaxPooling2D').
    display = known if isinstance(known, dict) else {k: k for k in known}

    def check(value: str) -> str:
        canon = normalise(value)
        if canon not in display:
            close = names.suggest(canon, set(display))
            hint = (f"did you mean '{display[close.split(chr(39))[1]]}'?" if close
                    else f"known {family} names: {', '.join(sorted(display.values()))}")
            raise PydanticCustomError("unknown_name", "unknown {family} {name}",
                                      {"family": family, "name": repr(value), "hint": hint})
        return canon

    return check


def _as_list(value: Any) -> Any:
    # A single name is the common case in YAML; a list says "any of these".
    return [value] if isinstance(value, str) else value


_ONE_OR_MANY = WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})

ActivationName = Annotated[str, AfterValidator(_checked("activation", names.activation, names.ACTIVATIONS))]
OptimizerName = Annotated[str, AfterValidator(_checked("optimizer", names.optimizer, names.OPTIMIZERS))]
LossName = Annotated[str, AfterValidator(_checked("loss", names.loss, names.LOSSES))]
LayerKind = Annotated[str, AfterValidator(_checked("layer", names.layer_kind, names.LAYER_KINDS))]
CallbackName = Annotated[str, AfterValidator(_checked("callback", names.callback, names.CALLBACKS))]
MetricName = Annotated[str, AfterValidator(_checked("metric", names.metric, names.METRICS))]

Activations = Annotated[list[ActivationName], BeforeValidator(_as_list), _ONE_OR_MANY]
Optimizers = Annotated[list[OptimizerName], BeforeValidator(_as_list), _ONE_OR_MANY]
Losses = Annotated[list[LossName], BeforeValidator(_as_list), _ONE_OR_MANY]

"""CustomTraining evidence built in Python, as the probe reports a hand-written TensorFlow loop."""

from __future__ import annotations

from grader.evidence.customtraining import CustomTraining, LoopOptimizer, LoopVariable, LossSample
from grader.evidence.dense_inference import infer_dense_network


def var(i: int, name: str, *shape: int, trainable: bool = True) -> LoopVariable:
    count = 1
    for d in shape:
        count *= d
    return LoopVariable(key=f"v{i}", name=name, shape=list(shape), dtype="float32", count=count, trainable=trainable)


def dense_vars(sizes: list[int], *, biases: bool = True) -> list[LoopVariable]:
    out: list[LoopVariable] = []
    for n, (a, b) in enumerate(zip(sizes, sizes[1:]), start=1):
        out.append(var(len(out), f"W{n}:0", a, b))
        if biases:
            out.append(var(len(out), f"b{n}:0", b))
    return out


def loop(tid: str, sizes: list[int], *, optimizer: str | None = "SGD", lr: float = 0.1, steps: int = 300,
         variables: list[LoopVariable] | None = None) -> CustomTraining:
    variables = variables if variables is not None else dense_vars(sizes)
    opt = LoopOptimizer(class_name=optimizer, learning_rate=lr) if optimizer else None
    return CustomTraining(
        id=tid, variables=variables, steps=steps, steps_source="optimizer.iterations" if opt else "gradient calls",
        gradient_calls=steps, optimizer=opt, optimizer_calls=steps if opt else 0,
        update="optimizer" if opt else "assign", manual_updates=0 if opt else steps * len(variables),
        losses=[LossSample(step=0, value=2.3), LossSample(step=steps - 1, value=0.4)],
        weights_file=f"custom/{tid}.npz", network=infer_dense_network(variables),
    )

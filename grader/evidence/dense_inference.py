"""Reading a dense network off the shapes of a hand-written loop's variables. Pure: no TensorFlow.

A loop written as ``h = act(x @ W1 + b1); y = h @ W2 + b2`` leaves kernels ``(n_in, n_out)``
and biases ``(n_out,)`` whose sizes compose: 784 -> 128 -> 10. The chain is built in the
order the loop listed its variables (the order students write W1, b1, W2, b2), so two
kernels of the same shape are told apart by position; a bias is the first unused ``(n_out,)``
variable, preferring the one listed right after its kernel.

What shapes cannot say is stated, not guessed: activations, the loss, the output's meaning,
and epochs (a step is one update, of a batch whose size is not recorded).
"""

from __future__ import annotations

from grader.evidence.customtraining import InferredLayer, InferredNetwork, LoopVariable

NOT_INFERRED = [
    "activations are not recorded",
    "the loss function is not recorded",
    "epochs are not recorded (only update steps are counted; the batch size is unknown)",
]


def _chain(kernels: list[LoopVariable]) -> list[LoopVariable]:
    """The longest run of kernels, in listed order, whose sizes compose; earliest start on ties."""
    best: list[LoopVariable] = []
    for start in range(len(kernels)):
        chain = [kernels[start]]
        for k in kernels[start + 1:]:
            if k.shape[0] == chain[-1].shape[1]:
                chain.append(k)
        if len(chain) > len(best):
            best = chain
    return best


def _bias_for(kernel: LoopVariable, variables: list[LoopVariable], used: set[str]) -> LoopVariable | None:
    n_out = kernel.shape[1]
    fits = [v for v in variables if len(v.shape) == 1 and v.shape[0] == n_out and v.key not in used]
    if not fits:
        return None
    pos = {v.key: i for i, v in enumerate(variables)}
    after = [v for v in fits if pos[v.key] > pos[kernel.key]]
    return after[0] if after else fits[0]


def infer_dense_network(variables: list[LoopVariable]) -> InferredNetwork:
    trainable = [v for v in variables if v.trainable]
    kernels = [v for v in trainable if len(v.shape) == 2 and min(v.shape) > 0]
    chain = _chain(kernels)
    used: set[str] = set()
    layers: list[InferredLayer] = []
    for k in chain:
        bias = _bias_for(k, trainable, used)
        used.add(k.key)
        if bias is not None:
            used.add(bias.key)
        layers.append(InferredLayer(n_in=k.shape[0], n_out=k.shape[1], kernel=k.name or k.key,
                                    bias=(bias.name or bias.key) if bias else None,
                                    params=k.count + (bias.count if bias else 0)))
    unexplained = [f"{v.name or v.key} {tuple(v.shape)}" for v in trainable if v.key not in used]
    notes = list(NOT_INFERRED)
    if not layers:
        notes.insert(0, "no (inputs, units) kernel was found, so no dense layer could be inferred")
    elif unexplained:
        notes.insert(0, "some variables are not part of a dense chain (convolutions, embeddings or a "
                     "layout the grader does not recognise), so the layers are not fully known")
    if layers and any(layer.bias is None for layer in layers):
        notes.append("some layers have no matching bias variable")
    return InferredNetwork(
        layers=layers,
        input_size=layers[0].n_in if layers else None,
        output_units=layers[-1].n_out if layers else None,
        hidden_units=[layer.n_out for layer in layers[:-1]],
        weights=sum(layer.n_in * layer.n_out for layer in layers),
        biases=sum(layer.params - layer.n_in * layer.n_out for layer in layers),
        trainable_params=sum(v.count for v in trainable),
        total_params=sum(v.count for v in variables),
        complete=bool(layers) and not unexplained,
        unexplained=unexplained,
        not_inferred=notes,
    )

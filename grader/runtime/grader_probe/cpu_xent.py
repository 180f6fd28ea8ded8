"""Op determinism without TensorFlow's GPU detour for sparse cross-entropy, on a run that has no GPU.

With op determinism on, TensorFlow computes `tf.nn.sparse_softmax_cross_entropy_with_logits` (what Keras's
sparse categorical cross-entropy runs on) as log-softmax, a gather and a NaN mask instead of its fused kernel,
because the fused kernel's GPU backward pass is not deterministic (`nn_ops.py`: "Implement a GPU-deterministic
version of this op"). The fused CPU kernel computes each row on its own and is deterministic for a given thread
count, so on CPU the detour buys nothing and costs about 7% of `model.fit` for a dense MNIST network
(bench/bench_determinism.py). A run the sandbox gave no GPU (empty CUDA_VISIBLE_DEVICES) gets the fused
kernel back, exactly as an unseeded run computes it; a run with a GPU keeps TensorFlow's deterministic path.
"""

from __future__ import annotations

import inspect
import os
from types import ModuleType

_TARGET = "_sparse_softmax_cross_entropy_with_rank_2_logits"


def cpu_only() -> bool:
    """True when no GPU can be seen: the sandbox hides them with an empty CUDA_VISIBLE_DEVICES."""
    return os.environ.get("CUDA_VISIBLE_DEVICES") == ""


def install(tf: ModuleType) -> bool:
    """Route sparse softmax cross-entropy to its fused kernel; True when done. Leaves a TensorFlow whose
    private helper is missing or shaped differently alone (it then keeps its own deterministic path)."""
    if not cpu_only():
        return False
    try:
        from tensorflow.python.ops import gen_nn_ops, nn_ops
    except ImportError:
        return False
    original = getattr(nn_ops, _TARGET, None)
    if original is None or getattr(original, "_grader_fused", False):
        return False
    try:
        if list(inspect.signature(original).parameters) != ["logits", "labels", "name"]:
            return False
    except (TypeError, ValueError):
        return False
    fused_op = gen_nn_ops.sparse_softmax_cross_entropy_with_logits

    def fused(logits, labels, name):  # type: ignore[no-untyped-def]
        # TensorFlow's own branch for op determinism off; its second output is the gradient, used by nn_grad.
        cost, _ = fused_op(logits, labels, name=name)
        return cost

    fused._grader_fused = True  # type: ignore[attr-defined]
    setattr(nn_ops, _TARGET, fused)
    return True

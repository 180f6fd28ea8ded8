"""Reading a dense network off a hand-written loop's variable shapes (no TensorFlow)."""

from __future__ import annotations

from loop_factory import dense_vars, var

from grader.evidence.dense_inference import infer_dense_network


def test_a_two_layer_chain_is_read_off_kernels_and_biases() -> None:
    net = infer_dense_network(dense_vars([784, 128, 10]))
    assert [(layer.n_in, layer.n_out) for layer in net.layers] == [(784, 128), (128, 10)]
    assert [(layer.kernel, layer.bias) for layer in net.layers] == [("W1:0", "b1:0"), ("W2:0", "b2:0")]
    assert (net.input_size, net.hidden_units, net.output_units) == (784, [128], 10)
    assert (net.weights, net.biases) == (784 * 128 + 128 * 10, 138)
    assert net.trainable_params == net.total_params == 784 * 128 + 128 + 128 * 10 + 10
    assert net.complete and not net.unexplained
    assert net.describe() == "784 -> 128 -> 10"
    assert any("activations are not recorded" in n for n in net.not_inferred)
    assert any("loss function" in n for n in net.not_inferred)


def test_kernels_of_the_same_shape_are_ordered_by_position() -> None:
    net = infer_dense_network(dense_vars([784, 64, 64, 64, 10]))
    assert [layer.kernel for layer in net.layers] == ["W1:0", "W2:0", "W3:0", "W4:0"]
    assert [layer.bias for layer in net.layers] == ["b1:0", "b2:0", "b3:0", "b4:0"]
    assert net.hidden_units == [64, 64, 64] and net.complete


def test_biases_listed_after_all_kernels_still_match() -> None:
    variables = [var(0, "W1", 5, 8), var(1, "W2", 8, 1), var(2, "b1", 8), var(3, "b2", 1)]
    net = infer_dense_network(variables)
    assert [(layer.kernel, layer.bias) for layer in net.layers] == [("W1", "b1"), ("W2", "b2")]
    assert net.complete


def test_a_single_layer_is_an_output_layer_with_no_hidden_layer() -> None:
    net = infer_dense_network(dense_vars([784, 10]))
    assert len(net.layers) == 1 and net.hidden_units == [] and net.output_units == 10 and net.complete


def test_a_network_without_biases_is_complete_but_says_so() -> None:
    net = infer_dense_network(dense_vars([20, 4, 2], biases=False))
    assert net.complete and net.biases == 0
    assert all(layer.bias is None for layer in net.layers)
    assert any("no matching bias" in n for n in net.not_inferred)


def test_variables_outside_a_dense_chain_leave_it_incomplete() -> None:
    variables = [var(0, "conv", 3, 3, 1, 8), var(1, "conv_b", 8), var(2, "W", 1352, 10), var(3, "b", 10)]
    net = infer_dense_network(variables)
    assert [(layer.n_in, layer.n_out) for layer in net.layers] == [(1352, 10)]
    assert not net.complete and net.unexplained == ["conv (3, 3, 1, 8)", "conv_b (8,)"]
    assert "not fully known" in net.not_inferred[0]


def test_kernels_that_do_not_compose_keep_the_longest_chain() -> None:
    variables = [var(0, "A", 3, 7), var(1, "W1", 10, 5), var(2, "W2", 5, 2)]
    net = infer_dense_network(variables)
    assert [layer.kernel for layer in net.layers] == ["W1", "W2"]
    assert net.unexplained == ["A (3, 7)"] and not net.complete


def test_no_kernel_means_no_layers_and_a_reason() -> None:
    net = infer_dense_network([var(0, "w", 1), var(1, "b", 1)])
    assert net.layers == [] and net.input_size is None and not net.complete
    assert "no dense layer could be inferred" in net.not_inferred[0]
    assert net.trainable_params == 2


def test_non_trainable_variables_count_in_total_only() -> None:
    variables = dense_vars([4, 3]) + [var(2, "step", 1, trainable=False)]
    net = infer_dense_network(variables)
    assert (net.trainable_params, net.total_params) == (15, 16) and net.complete

import io

from grader.render.progress import ProgressLine


def test_tty_line_shows_cell_model_and_epoch_metrics():
    out = io.StringIO()
    line = ProgressLine(out, tty=True)
    line({"event": "cell_start", "n": 3, "of": 12})
    line({"event": "epoch", "model": "m2", "epoch": 4, "epochs": 10, "seconds": 1.5, "logs": {"loss": 0.31, "accuracy": 0.91}})
    text = out.getvalue()
    assert "cell 3/12" in text and "m2 epoch 4/10" in text and "accuracy 0.9100" in text
    line({"event": "run_end"})
    assert out.getvalue().endswith("\r")


def test_plain_stream_gets_one_line_per_fit_and_no_carriage_returns():
    out = io.StringIO()
    line = ProgressLine(out, tty=False)
    line({"event": "epoch", "model": "m1", "epoch": 1, "epochs": 2, "logs": {}})
    line({"event": "fit", "model": {"id": "m1"}, "fit": {"epochs_run": 2}})
    assert "\r" not in out.getvalue() and "m1: trained 2 epoch(s)" in out.getvalue()

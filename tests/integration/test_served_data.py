"""Path-served data: the housing table and the primitives image folder, read the way students read them."""

from __future__ import annotations

from pathlib import Path

from submission_files import write_submission

from grader.api import dataset_files, run_submission
from grader.datasets.served import PRIMITIVES_FOLDER
from grader.datasets.store import DatasetStore
from grader.datasets.synthetic import PRIMITIVE_CLASSES


def test_table_and_image_folder_are_served_read_only(tmp_path: Path) -> None:
    store = DatasetStore.synthetic(tmp_path / "store", names=("usa_housing",))
    files = dataset_files(store, ["usa_housing", "primitive_3d_objects"])
    assert set(files) == {"USA_Housing.csv", PRIMITIVES_FOLDER}
    script = write_submission(tmp_path / "sub", "read.py", """
        import os
        import pandas as pd

        here = pd.read_csv("USA_Housing.csv")
        served = pd.read_csv("/sandbox/data/USA_Housing.csv" if os.path.isdir("/sandbox/data")
                             else os.path.join(os.environ["GRADER_DATA"], "USA_Housing.csv"))
        classes = sorted(os.listdir("primitive_3d_objects"))
        images = sum(len(os.listdir(os.path.join("primitive_3d_objects", c))) for c in classes)
        print("ROWS", len(here), len(served), "CLASSES", ",".join(classes), "IMAGES", images)
        try:
            open(os.path.join("primitive_3d_objects", classes[0], "mine.png"), "w")
            print("WRITABLE")
        except OSError:
            print("READ-ONLY")
    """)
    verified = run_submission(script, datasets=store, cpus=1)
    run = verified.evidence.run
    assert run.status.value == "completed", run.message
    wanted = f"ROWS 1000 1000 CLASSES {','.join(sorted(PRIMITIVE_CLASSES))} IMAGES"
    assert wanted in run.log_tail, run.log_tail
    assert "READ-ONLY" in run.log_tail and "WRITABLE" not in run.log_tail


def test_a_file_the_submission_brings_wins_over_the_served_one(tmp_path: Path) -> None:
    store = DatasetStore.synthetic(tmp_path / "store", names=("usa_housing",))
    folder = tmp_path / "sub"
    write_submission(folder, "USA_Housing.csv", "Price\n1\n2\n")
    script = write_submission(folder, "read.py", """
        import pandas as pd
        print("ROWS", len(pd.read_csv("USA_Housing.csv")))
    """)
    verified = run_submission(script, datasets=store, cpus=1, workdir=folder)
    assert "ROWS 2" in verified.evidence.run.log_tail, verified.evidence.run.log_tail

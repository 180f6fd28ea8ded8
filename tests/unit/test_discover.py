"""Discovery of a class folder: every naming scheme, and every way an archive can attack the grader."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from grader.intake.discovery import ArchiveRefused, Student, ZipLimits, discover, safe_extract

NB = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def touch(path: Path, text: str = "print(1)\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def make_zip(path: Path, members: dict[str, bytes | str], *, symlinks: dict[str, str] | None = None,
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name) if name.endswith("/") else name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def by_name(students: list[Student]) -> dict[str, Student]:
    return {s.name: s for s in students}


def run(tmp_path: Path, folder: Path | None = None) -> dict[str, Student]:
    return by_name(discover(folder or tmp_path / "class", staging=tmp_path / "staging"))


# ------------------------------------------------------------------------------------- plain layouts


def test_one_file_per_student_and_one_folder_per_student(tmp_path: Path) -> None:
    c = tmp_path / "class"
    touch(c / "alice.ipynb", NB)
    touch(c / "bob.py")
    touch(c / "carol" / "part2.ipynb", NB)
    touch(c / "carol" / "part1.ipynb", NB)
    touch(c / "carol" / "helpers.py")
    touch(c / "carol" / "data" / "houses.csv", "a,b\n1,2\n")
    touch(c / "carol" / ".ipynb_checkpoints" / "part1-checkpoint.ipynb", NB)
    touch(c / "dave" / "train.py")
    touch(c / "dave" / "model.py")
    touch(c / "notes.txt", "not a submission")
    found = run(tmp_path)
    assert set(found) == {"alice", "bob", "carol", "dave"}
    assert found["alice"].entries == ("alice.ipynb",) and not found["alice"].folder_source
    carol = found["carol"]
    assert carol.entries == ("part1.ipynb", "part2.ipynb")  # notebooks run; the script beside them is a helper
    assert carol.files == ("data/houses.csv", "helpers.py", "part1.ipynb", "part2.ipynb") and carol.folder_source
    assert found["dave"].entries == ("model.py", "train.py")
    assert all(s.problem is None for s in found.values())


def test_a_folder_with_nothing_runnable_is_a_result_not_a_crash(tmp_path: Path) -> None:
    touch(tmp_path / "class" / "erin" / "report.pdf", "%PDF")
    (tmp_path / "class" / "frank").mkdir(parents=True)
    found = run(tmp_path)
    assert "no notebook" in found["erin"].problem and "report.pdf" in found["erin"].problem
    assert "empty" in found["frank"].problem


def test_content_hash_covers_every_file_and_not_the_location(tmp_path: Path) -> None:
    a = tmp_path / "a" / "class"
    b = tmp_path / "b" / "class"
    for root in (a, b):
        touch(root / "alice" / "hw.ipynb", NB)
        touch(root / "alice" / "data.csv", "x\n1\n")
    h1 = discover(a, staging=tmp_path / "s1")[0].content_hash()
    h2 = discover(b, staging=tmp_path / "s2")[0].content_hash()
    assert h1 == h2
    touch(b / "alice" / "data.csv", "x\n2\n")  # a data file changed: a different submission
    assert discover(b, staging=tmp_path / "s3")[0].content_hash() != h1


def test_submissions_that_share_a_stem_keep_distinct_names(tmp_path: Path) -> None:
    c = tmp_path / "class"
    touch(c / "hw.ipynb", NB)
    touch(c / "HW.py")  # names compare as file systems do: without case
    touch(c / "hw" / "part1.py")
    make_zip(c / "hw.zip", {"main.py": "print(2)"})
    touch(c / "alice.py")
    found = discover(c, staging=tmp_path / "staging")
    assert [(s.name, s.label) for s in found] == [("alice", "alice.py"), ("hw", "hw"), ("hw.ipynb", "hw.ipynb"),
                                                  ("HW.py", "HW.py"), ("hw.zip", "hw.zip")]


def test_same_named_students_of_an_export_are_told_apart(tmp_path: Path) -> None:
    make_zip(tmp_path / "class" / "submissions.zip", {
        "leeann_111_1_hw.py": "print(1)",
        "leeann_222_2_hw.py": "print(2)",
        "smithjane_333_3_hw.py": "print(3)",
    })
    assert sorted(run(tmp_path)) == ["leeann_111", "leeann_222", "smithjane"]


# ---------------------------------------------------------------------------------------- LMS exports


def test_canvas_export_zip(tmp_path: Path) -> None:
    make_zip(tmp_path / "class" / "submissions.zip", {
        "smithjane_12345_67890_hw1.ipynb": NB,
        "smithjane_12345_67891_data.csv": "a\n1\n",
        "doejohn_LATE_23456_78901_hw1-1.ipynb": NB,
        "leeann_34567_89012_part1.py": "print(1)",
        "leeann_34567_89013_part2.py": "print(2)",
    })
    found = run(tmp_path)
    assert set(found) == {"smithjane", "doejohn", "leeann"}
    jane = found["smithjane"]
    assert (jane.student_id, jane.source, jane.entries) == ("12345", "canvas", ("hw1.ipynb",))
    assert set(jane.files) == {"hw1.ipynb", "data.csv"}
    assert found["doejohn"].entries == ("hw1.ipynb",) and found["doejohn"].student_id == "23456"  # late, resubmitted
    assert found["leeann"].entries == ("part1.py", "part2.py")


def test_canvas_student_uploaded_a_zip(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("hw/hw1.ipynb", NB)
        zf.writestr("hw/mnist_helpers.py", "X = 1")
    make_zip(tmp_path / "class" / "export.zip", {"kimyu_11111_22222_homework.zip": inner.getvalue(),
                                                 "smithjane_12345_67890_hw1.ipynb": NB})
    kim = run(tmp_path)["kimyu"]
    assert kim.problem is None and kim.entries == ("homework/hw/hw1.ipynb",) and kim.student_id == "11111"


def test_moodle_export_folders_and_flat_files(tmp_path: Path) -> None:
    make_zip(tmp_path / "class" / "moodle.zip", {
        "Ada Lovelace_12345_assignsubmission_file_/nn.ipynb": NB,
        "Ada Lovelace_12345_assignsubmission_file_/data/x.csv": "1",
        "Alan Turing_23456_assignsubmission_file_/a.py": "print(1)",
        "Alan Turing_23456_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
    })
    found = run(tmp_path)
    assert set(found) == {"Ada Lovelace", "Alan Turing"}
    ada = found["Ada Lovelace"]
    assert (ada.student_id, ada.source, ada.entries) == ("12345", "moodle", ("nn.ipynb",))
    assert "data/x.csv" in ada.files
    assert found["Alan Turing"].entries == ("a.py",)


def test_moodle_unpacked_folder(tmp_path: Path) -> None:
    touch(tmp_path / "class" / "Grace Hopper_777_assignsubmission_file_" / "hw.ipynb", NB)
    g = run(tmp_path)["Grace Hopper"]
    assert g.student_id == "777" and g.entries == ("hw.ipynb",)


def test_gradescope_export(tmp_path: Path) -> None:
    meta = """\
submission_101:
  :submitters:
  - :name: Marie Curie
    :sid: "S001"
    :email: marie@example.org
  :score: 0.0
submission_102:
  :submitters:
  - :name: Pierre Curie
    :sid: "S002"
  - :name: Paul Langevin
    :sid: "S003"
"""
    make_zip(tmp_path / "class" / "gs.zip", {
        "assignment_export/submission_metadata.yml": meta,
        "assignment_export/submission_101/nb.ipynb": NB,
        "assignment_export/submission_102/a.ipynb": NB,
        "assignment_export/submission_102/b.ipynb": NB,
    })
    found = run(tmp_path)
    assert set(found) == {"Marie Curie", "Pierre Curie & Paul Langevin"}
    assert found["Marie Curie"].student_id == "S001" and found["Marie Curie"].source == "gradescope"
    assert found["Pierre Curie & Paul Langevin"].entries == ("a.ipynb", "b.ipynb")


def test_a_students_own_zip(tmp_path: Path) -> None:
    make_zip(tmp_path / "class" / "zoe.zip", {"zoe_hw/hw.ipynb": NB, "zoe_hw/data.csv": "1"})
    zoe = run(tmp_path)["zoe"]
    assert zoe.problem is None and zoe.entries == ("hw.ipynb",) and zoe.source == "zip"


# ----------------------------------------------------------------------------------------- attacks


@pytest.mark.parametrize("name, words", [
    ("../evil.py", "outside"), ("a/../../evil.py", "outside"), ("/etc/evil.py", "absolute"),
    ("C:/evil.py", "absolute"), ("..\\evil.py", "outside"),
])
def test_path_escapes_are_refused(tmp_path: Path, name: str, words: str) -> None:
    archive = make_zip(tmp_path / "class" / "mallory.zip", {"hw.py": "print(1)", name: "import os"})
    with pytest.raises(ArchiveRefused, match=words):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.py").exists()
    m = run(tmp_path)["mallory"]
    assert m.problem and words in m.problem and m.entries == ()


def test_symlinks_are_refused(tmp_path: Path) -> None:
    make_zip(tmp_path / "class" / "mallory.zip", {"hw.py": "print(1)"}, symlinks={"secret": "/etc/shadow"})
    m = run(tmp_path)["mallory"]
    assert "symbolic link" in m.problem


def test_corrupt_zip_is_refused(tmp_path: Path) -> None:
    touch(tmp_path / "class" / "broken.zip", "PK\x03\x04 this is not really a zip")
    b = run(tmp_path)["broken"]
    assert b.problem and "could not read the archive" in b.problem


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "good.zip", {"hw.py": "print(1)\n" * 1000})
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "cut.zip").write_bytes(good.read_bytes()[:-40])
    assert "could not read" in run(tmp_path)["cut"].problem


def test_zip_bomb_ratio_total_and_count(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * (8 * 2**20)})  # ~8 KiB compressed
    with pytest.raises(ArchiveRefused, match="zip bomb"):
        safe_extract(bomb, tmp_path / "o1")
    big = make_zip(tmp_path / "big.zip", {f"f{i}.txt": "x" * 4000 for i in range(10)}, compression=zipfile.ZIP_STORED)
    with pytest.raises(ArchiveRefused, match="unpacks to over"):
        safe_extract(big, tmp_path / "o2", ZipLimits(max_total_bytes=20_000))
    many = make_zip(tmp_path / "many.zip", {f"f{i}.py": "" for i in range(30)})
    with pytest.raises(ArchiveRefused, match="30 entries"):
        safe_extract(many, tmp_path / "o3", ZipLimits(max_files=20))


def test_a_header_that_lies_about_size_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "liar.zip", {"a.py": "print(1)\n" * 2000}, compression=zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    # Shrink the declared size in the central directory (offset 24 of the entry): the data is longer.
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (100).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    with pytest.raises(ArchiveRefused):
        safe_extract(archive, tmp_path / "o")


def test_one_bad_archive_never_spoils_the_class(tmp_path: Path) -> None:
    c = tmp_path / "class"
    touch(c / "alice.py")
    make_zip(c / "mallory.zip", {"../../x.py": "1"})
    touch(c / "zed.zip", "garbage")
    found = run(tmp_path)
    assert found["alice"].problem is None
    assert found["mallory"].problem and found["zed"].problem

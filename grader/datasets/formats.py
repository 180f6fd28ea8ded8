"""Reading and writing the on-disk formats of a dataset store, with numpy only.

npz archives are always read with ``allow_pickle=False``: a store may hold files of unknown
origin, and unpickling one runs arbitrary code in the grader.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from grader.errors import DatasetError

# idx type codes (http://yann.lecun.com/exdb/mnist/): code -> big-endian numpy dtype.
_IDX_DTYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_CODES: dict[str, int] = {np.dtype(v).newbyteorder("=").str: k for k, v in _IDX_DTYPES.items()}

# A fixed timestamp keeps archives byte-identical between runs, so they can be cached by hash.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_idx(path: Path) -> np.ndarray:
    """Decode one idx file (gzip-compressed or not) into a native-endian array."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise DatasetError(f"cannot read idx file {path}: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path} is not an idx file (bad magic number {raw[:4].hex() or 'empty'})")
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: idx header is truncated")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DatasetError(
            f"{path}: idx header promises shape {shape} ({expected} bytes) but holds {len(raw) - header} bytes"
        )
    data = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Encode ``array`` as an idx file; gzip when the name ends in ``.gz`` (or ``compress``)."""
    arr = np.asarray(array)
    code = _IDX_CODES.get(arr.dtype.newbyteorder("=").str)
    if code is None:
        raise DatasetError(f"dtype {arr.dtype} has no idx encoding")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, ">u4").tobytes()
    payload = header + arr.astype(arr.dtype.newbyteorder(">"), copy=False).tobytes()
    if compress if compress is not None else str(path).endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(Path(path), payload)
    return Path(path)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array in an npz archive, eagerly, refusing pickled (object) arrays."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"cannot read {path} as an npz archive: {exc}") from exc
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise DatasetError(f"{path} holds a single array, not an npz archive of named arrays")
    arrays: dict[str, np.ndarray] = {}
    with loaded:
        for key in loaded.files:
            try:
                arrays[key] = loaded[key]
            except ValueError as exc:
                # numpy says "Object arrays cannot be loaded when allow_pickle=False".
                if "allow_pickle" in str(exc):
                    raise DatasetError(
                        f"{path}: array {key!r} is a pickled object array; refusing to unpickle it"
                    ) from exc
                raise DatasetError(f"{path}: array {key!r} is corrupt: {exc}") from exc
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                raise DatasetError(f"{path}: array {key!r} is corrupt: {exc}") from exc
    return arrays


def npz_bytes(arrays: Mapping[str, np.ndarray], *, compresslevel: int = 1) -> bytes:
    """An npz archive that ``np.load`` reads, byte-identical for identical arrays (fixed timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue(), zipfile.ZIP_DEFLATED, compresslevel)
    return buffer.getvalue()


def write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> Path:
    atomic_write_bytes(Path(path), npz_bytes(arrays))
    return Path(path)


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write via a temporary file and rename, so a concurrent reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        # mkstemp creates 0600 files; store files are meant to be shared read-only data.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""A PEP 517 build backend for the git_exp package, standard library only, so that
`pip install ./python` works with no network and no setuptools.

It builds a pure-Python wheel (git_exp/*.py, git_exp/py.typed), an sdist, and an editable wheel (a .pth file
naming this directory).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

NAME = "git-exp"
DIST = "git_exp"  # the distribution name as wheel and dist-info file names spell it
PKG = "git_exp"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # python/


def _version() -> str:
    with open(os.path.join(HERE, PKG, "__init__.py"), encoding="utf-8") as f:
        m = re.search(r'^__version__\s*=\s*"([^"]+)"', f.read(), re.M)
    if not m:
        raise RuntimeError("git_exp/__init__.py has no __version__")
    return m.group(1)


def _metadata() -> str:
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {_version()}\n"
        "Summary: Track Python scripts as git-exp experiments and read them back (into pandas)\n"
        "Requires-Python: >=3.9\n"
        "Provides-Extra: pandas\n"
        "Requires-Dist: pandas; extra == \"pandas\"\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


_WHEEL = "Wheel-Version: 1.0\nGenerator: git-exp _build/backend.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files() -> list[str]:
    names = [n for n in os.listdir(os.path.join(HERE, PKG)) if n.endswith(".py") or n == "py.typed"]
    return sorted(names)


def _dist_info() -> str:
    return f"{DIST}-{_version()}.dist-info"


def _write_wheel(wheel_directory: str, entries: list[tuple[str, bytes]]) -> str:
    di = _dist_info()
    entries = entries + [
        (f"{di}/METADATA", _metadata().encode()),
        (f"{di}/WHEEL", _WHEEL.encode()),
        (f"{di}/top_level.txt", (PKG + "\n").encode()),
    ]
    record = io.StringIO()
    for path, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{path},sha256={digest},{len(data)}\n")
    record.write(f"{di}/RECORD,,\n")
    entries.append((f"{di}/RECORD", record.getvalue().encode()))
    name = f"{DIST}-{_version()}-py3-none-any.whl"
    os.makedirs(wheel_directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    di = os.path.join(metadata_directory, _dist_info())
    os.makedirs(di, exist_ok=True)
    with open(os.path.join(di, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(di, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_WHEEL)
    return _dist_info()


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = []
    for n in _package_files():
        with open(os.path.join(HERE, PKG, n), "rb") as f:
            entries.append((f"{PKG}/{n}", f.read()))
    return _write_wheel(wheel_directory, entries)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(f"__editable__.{DIST}.pth", (HERE + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    base = f"{DIST}-{_version()}"
    name = base + ".tar.gz"
    os.makedirs(sdist_directory, exist_ok=True)
    files = ["pyproject.toml", "README.md", "_build/backend.py"] + [f"{PKG}/{n}" for n in _package_files()]
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        for rel in files:
            t.add(os.path.join(HERE, rel), arcname=f"{base}/{rel}")
        pkg_info = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        t.addfile(info, io.BytesIO(pkg_info))
    return name

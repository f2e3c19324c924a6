"""Read a Superset export: a zip as the UI downloads it, or that zip unpacked into a folder.

The only module of this ingestor that reads files. An export's files sit under one root folder holding
`metadata.yaml`; objects are in `databases/`, `datasets/<database>/`, `charts/` and `dashboards/`.
"""

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ingestors.superset.errors import SupersetExportError
from ingestors.superset.models import (
    SupersetChart,
    SupersetDashboard,
    SupersetDatabase,
    SupersetDataset,
    SupersetExport,
)

M = TypeVar("M", bound=BaseModel)
# libyaml's parser when PyYAML was built with it: the pure-Python one takes seconds per megabyte
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The export format's major version (metadata.yaml `version: 1.0.0`); another major is another format.
SUPPORTED_MAJOR = "1"
FOLDERS: dict[str, type[BaseModel]] = {
    "databases": SupersetDatabase,
    "datasets": SupersetDataset,
    "charts": SupersetChart,
    "dashboards": SupersetDashboard,
}


def _load_files(path: Path) -> dict[str, bytes]:
    """{path inside the export: bytes} of every YAML file."""
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes()
                for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in (".yaml", ".yml")}
    if not path.exists():
        raise SupersetExportError(f"{path}: no such file or folder")
    if not zipfile.is_zipfile(path):
        raise SupersetExportError(f"{path}: not a zip file or a folder (a Superset export is either)")
    try:
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in sorted(archive.namelist())
                    if name.endswith((".yaml", ".yml")) and not name.endswith("/")}
    except (zipfile.BadZipFile, OSError) as exc:
        raise SupersetExportError(f"{path}: cannot read the zip: {exc}") from None


def _yaml(shown: str, data: bytes) -> Any:
    try:
        return yaml.load(data.decode("utf-8"), Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        raise SupersetExportError(f"{where}: not valid YAML: {exc.problem or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SupersetExportError(f"{shown}: not valid YAML: {' '.join(str(exc).split())}") from None


def _validate(model: type[M], shown: str, data: Any) -> M:
    if not isinstance(data, dict):
        raise SupersetExportError(f"{shown}: expected a mapping of fields, found {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise SupersetExportError(f"{shown}: {where}: {first['msg']}") from None


def read_export(path: Path) -> SupersetExport:
    path = Path(path)
    files = _load_files(path)
    roots = sorted({str(PurePosixPath(name).parent) for name in files if PurePosixPath(name).name == "metadata.yaml"},
                   key=len)
    if not roots:
        raise SupersetExportError(f"{path}: no metadata.yaml: not a Superset export")
    root = roots[0]
    prefix = "" if root == "." else f"{root}/"
    metadata_name = f"{prefix}metadata.yaml"
    metadata = _yaml(f"{path}/{metadata_name}", files[metadata_name])
    if not isinstance(metadata, dict) or "version" not in metadata:
        raise SupersetExportError(f"{path}/{metadata_name}: has no version: not a Superset export's metadata")
    version = str(metadata["version"])
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise SupersetExportError(f"{path}/{metadata_name}: export version {version} is not supported "
                                  f"(supported: {SUPPORTED_MAJOR}.x.x, what Superset 1.0 and later write)")
    found: dict[str, list[tuple[str, BaseModel]]] = {folder: [] for folder in FOLDERS}
    for name, data in files.items():
        if not name.startswith(prefix):
            continue
        parts = PurePosixPath(name[len(prefix):]).parts
        if len(parts) < 2 or parts[0] not in FOLDERS:
            continue
        shown = f"{path}/{name}" if path.is_dir() else f"{path}:{name}"
        found[parts[0]].append((name[len(prefix):], _validate(FOLDERS[parts[0]], shown, _yaml(shown, data))))
    return SupersetExport.model_validate(found)

"""Read a LookML project folder: parse every file, apply refinements and `extends`, resolve includes.

The only module of this ingestor that reads files. LookML files are parsed with `lkml`; LookML
dashboards (`*.dashboard.lookml`) are YAML.
"""

import re
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

import lkml
import yaml
from pydantic import ValidationError

from ingestors.common.report import IngestReport
from ingestors.lookml.errors import LookmlError
from ingestors.lookml.models import (
    DashboardElement,
    DashboardFilter,
    LookmlDashboard,
    LookmlExplore,
    LookmlField,
    LookmlJoin,
    LookmlModel,
    LookmlProject,
    LookmlView,
)

FIELD_LISTS = {
    "dimensions": "dimension",
    "dimension_groups": "dimension_group",
    "measures": "measure",
    "filters": "filter",
    "parameters": "parameter",
}
_LINE = re.compile(r"on line (\d+)")


def _yes(value: Any) -> bool:
    return str(value).strip().lower() == "yes"


def _files(root: Path, suffix: str) -> list[Path]:
    return sorted(p for p in root.rglob(f"*{suffix}") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(root).parts))


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _parse_lkml(root: Path, path: Path) -> dict[str, Any]:
    shown = _rel(root, path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LookmlError(f"{shown}: cannot read: {exc}") from None
    try:
        parsed = lkml.load(text)
    except SyntaxError as exc:
        message = str(exc)
        line = _LINE.search(message)
        where = f"{shown}:{line.group(1)}" if line else shown
        raise LookmlError(f"{where}: not valid LookML: {message}") from None
    return parsed or {}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` applied on `base` the way a refinement or an extending view is: field by field."""
    merged = {**base, **{k: v for k, v in over.items() if k not in FIELD_LISTS}}
    for key in FIELD_LISTS:
        fields = {f["name"]: f for f in base.get(key, [])}
        for field in over.get(key, []):
            fields[field["name"]] = {**fields.get(field["name"], {}), **field}
        if fields:
            merged[key] = list(fields.values())
    return merged


def _extends(raw: dict[str, Any]) -> list[str]:
    return [name for group in raw.get("extends__all", []) for name in group]


def _resolve_extends(name: str, raws: dict[str, dict[str, Any]], report: IngestReport,
                     seen: tuple[str, ...] = ()) -> dict[str, Any]:
    raw = raws[name]
    resolved: dict[str, Any] = {}
    for parent in _extends(raw):
        if parent in seen or parent == name:
            report.warn(f"view {name}", "parse", f"extends {parent} in a cycle; not followed")
            continue
        if parent not in raws:
            report.warn(f"view {name}", "parse", f"extends {parent}, which the project does not define")
            continue
        inherited = _resolve_extends(parent, raws, report, (*seen, name))
        # `extension: required` makes the parent abstract, not its children
        resolved = _merge(resolved, {k: v for k, v in inherited.items() if k not in ("extension", "extends__all")})
    return _merge(resolved, raw)


def _field(raw: dict[str, Any], kind: str) -> LookmlField:
    return LookmlField(
        name=raw["name"],
        kind=kind,  # type: ignore[arg-type]
        type=raw.get("type"),
        sql=raw.get("sql"),
        sql_start=raw.get("sql_start"),
        sql_end=raw.get("sql_end"),
        label=raw.get("label"),
        description=raw.get("description"),
        hidden=_yes(raw.get("hidden", "no")),
        primary_key=_yes(raw.get("primary_key", "no")),
        timeframes=tuple(raw.get("timeframes", ())),
        intervals=tuple(raw.get("intervals", ())),
        tags=tuple(raw.get("tags", ())),
        value_format_name=raw.get("value_format_name"),
    )


def _view(raw: dict[str, Any], file: str) -> LookmlView:
    derived = raw.get("derived_table") or {}
    source = derived.get("explore_source")
    explore_source = None
    if isinstance(source, dict):
        explore_source = (str(source.get("name")), tuple(
            (str(c["name"]), str(c.get("field") or f"{source.get('name')}.{c['name']}"))
            for c in source.get("columns", [])
        ))
    return LookmlView(
        name=raw["name"],
        file=file,
        sql_table_name=raw.get("sql_table_name"),
        derived_sql=derived.get("sql"),
        explore_source=explore_source,
        label=raw.get("label"),
        description=raw.get("description"),
        abstract=str(raw.get("extension", "")).lower() == "required",
        fields=tuple(_field(f, kind) for key, kind in FIELD_LISTS.items() for f in raw.get(key, [])),
    )


def _explore(raw: dict[str, Any], model: str, file: str) -> LookmlExplore:
    name = raw["name"]
    return LookmlExplore(
        name=name,
        model=model,
        file=file,
        view=raw.get("from") or raw.get("view_name") or name,
        label=raw.get("label"),
        description=raw.get("description"),
        hidden=_yes(raw.get("hidden", "no")),
        joins=tuple(
            LookmlJoin(name=j["name"], view=j.get("from") or j.get("view_name") or j["name"], type=j.get("type"),
                       relationship=j.get("relationship"), sql_on=j.get("sql_on"))
            for j in raw.get("joins", [])
        ),
    )


def _include_patterns(model_file: str, includes: list[str]) -> list[str]:
    here = PurePosixPath(model_file).parent
    patterns = []
    for pattern in includes:
        if pattern.startswith("//"):
            continue  # a file of another (imported) project
        if pattern.endswith((".view", ".model", ".explore")):
            pattern += ".lkml"
        elif pattern.endswith(".dashboard"):
            pattern += ".lookml"
        path = pattern.lstrip("/") if pattern.startswith("/") else (here / pattern).as_posix().removeprefix("./")
        patterns += [path, path.replace("**/", "")]
    return patterns


def _included(file: str, patterns: list[str]) -> bool:
    return any(fnmatch(file, p) for p in patterns)


def _dashboards(root: Path, path: Path) -> list[LookmlDashboard]:
    shown = _rel(root, path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        raise LookmlError(f"{where}: not valid YAML: {exc.problem or exc}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LookmlError(f"{shown}: cannot read: {' '.join(str(exc).split())}") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) and "dashboard" in d for d in data):
        raise LookmlError(f"{shown}: a LookML dashboard file is a list of `- dashboard: name` entries")
    out = []
    for index, raw in enumerate(data, start=1):
        try:
            out.append(LookmlDashboard(
                name=str(raw["dashboard"]),
                file=shown,
                title=raw.get("title"),
                description=raw.get("description"),
                layout=raw.get("layout"),
                elements=tuple(DashboardElement.model_validate(_element(e)) for e in raw.get("elements") or []),
                filters=tuple(DashboardFilter.model_validate(f) for f in raw.get("filters") or []),
            ))
        except (ValidationError, TypeError, AttributeError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
            where = ".".join(str(p) for p in first["loc"])
            raise LookmlError(
                f"{shown}: dashboard {raw.get('dashboard')} (entry {index}): {where + ': ' if where else ''}"
                f"{first['msg']}"
            ) from None
    return out


def _element(raw: Any) -> Any:
    """Newer exports nest the query under `query:`; fields are the same either way."""
    if isinstance(raw, dict) and isinstance(raw.get("query"), dict):
        return {**raw["query"], **{k: v for k, v in raw.items() if k != "query"}}
    return raw


def read_project(root: Path, report: IngestReport, project: str | None = None) -> LookmlProject:
    root = Path(root)
    if not root.is_dir():
        raise LookmlError(f"{root}: no such LookML project folder")
    lkml_files = _files(root, ".lkml")
    dashboard_files = _files(root, ".dashboard.lookml")
    if not lkml_files and not dashboard_files:
        raise LookmlError(f"{root}: holds no .lkml or .dashboard.lookml files")
    parsed = {_rel(root, p): _parse_lkml(root, p) for p in lkml_files}
    name = project or str(parsed.get("manifest.lkml", {}).get("project_name") or root.resolve().name)

    models: list[LookmlModel] = []
    raw_views: dict[str, dict[str, Any]] = {}
    view_files: dict[str, str] = {}
    refinements: list[dict[str, Any]] = []
    for file, data in parsed.items():
        if file.endswith(".model.lkml"):
            models.append(LookmlModel(name=PurePosixPath(file).name.removesuffix(".model.lkml"), file=file,
                                      connection=data.get("connection"), includes=tuple(data.get("includes", ()))))
        for raw in data.get("views", []):
            if raw["name"].startswith("+"):
                refinements.append({**raw, "name": raw["name"][1:]})
            elif raw["name"] in raw_views:
                report.warn(f"view {raw['name']}", "parse",
                            f"defined in {view_files[raw['name']]} and {file}; the first is used")
            else:
                raw_views[raw["name"]] = raw
                view_files[raw["name"]] = file
    for refinement in refinements:
        if refinement["name"] not in raw_views:
            report.warn(f"view {refinement['name']}", "parse", "refines a view the project does not define")
            continue
        raw_views[refinement["name"]] = _merge(raw_views[refinement["name"]], refinement)

    patterns = {m.name: _include_patterns(m.file, list(m.includes)) for m in models}
    explores: list[LookmlExplore] = []
    for file, data in parsed.items():
        raws = data.get("explores", [])
        if not raws:
            continue
        owners = ([PurePosixPath(file).name.removesuffix(".model.lkml")] if file.endswith(".model.lkml")
                  else [m for m, p in patterns.items() if _included(file, p)])
        if not owners:
            report.warn(file, "parse", "explores in a file no model includes are skipped")
        for model in owners:
            for raw in raws:
                if raw["name"].startswith("+"):
                    report.warn(f"explore {raw['name']}", "parse", "explore refinements are not applied")
                    continue
                if _extends(raw):
                    report.warn(f"explore {raw['name']}", "parse", "explore extends are not followed")
                explores.append(_explore(raw, model, file))

    views = [_view(_resolve_extends(n, raw_views, report), view_files[n]) for n in raw_views]
    view_models = {
        v.name: tuple(m for m, p in patterns.items() if _included(v.file, p)) for v in views
    }
    dashboards = [d for path in dashboard_files for d in _dashboards(root, path)]
    return LookmlProject(name=name, models=tuple(models), views=tuple(views), explores=tuple(explores),
                         dashboards=tuple(dashboards), view_models=view_models)

"""Bad dbt artifacts are refused with one line naming the file and the problem."""

import json
import shutil
from pathlib import Path

import pytest

from ingestors.dbt.artifacts import find_target_dir, load_artifacts
from ingestors.dbt.errors import (
    ArtifactFormatError,
    ArtifactNotFoundError,
    ManifestIntegrityError,
    UnsupportedVersionError,
)


def copy_target(project: Path, dest: Path) -> Path:
    target = dest / "target"
    shutil.copytree(project / "target", target, ignore=shutil.ignore_patterns("compiled", "run", "*.msgpack"))
    return target


def edit_manifest(target: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    path = target / "manifest.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return path


def test_project_folder_and_target_folder_both_resolve(shop_project: Path) -> None:
    assert find_target_dir(shop_project) == shop_project / "target"
    assert find_target_dir(shop_project / "target") == shop_project / "target"
    artifacts = load_artifacts(shop_project)
    assert artifacts.catalog is not None and artifacts.run_results is not None
    assert artifacts.semantic_manifest is not None
    assert artifacts.manifest.schema_version == 12


def test_folder_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFoundError) as err:
        load_artifacts(tmp_path)
    assert str(err.value) == (
        f"{tmp_path}: no manifest.json here or in target/ (run `dbt compile` or `dbt build` first)"
    )


def test_truncated_manifest(shop_project: Path, tmp_path: Path) -> None:
    target = copy_target(shop_project, tmp_path)
    manifest = target / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:5000])
    with pytest.raises(ArtifactFormatError) as err:
        load_artifacts(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{manifest}: is not valid JSON (the file looks truncated): ")
    assert "\n" not in message


def test_non_json_catalog_names_the_catalog(shop_project: Path, tmp_path: Path) -> None:
    target = copy_target(shop_project, tmp_path)
    (target / "catalog.json").write_text("<html>not json</html>")
    with pytest.raises(ArtifactFormatError) as err:
        load_artifacts(target)
    assert str(err.value) == f"{target / 'catalog.json'}: is not valid JSON: Expecting value (line 1, column 1)"


def test_unknown_manifest_version(shop_project: Path, tmp_path: Path) -> None:
    target = copy_target(shop_project, tmp_path)

    def v99(data: dict) -> None:
        data["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v99.json"

    path = edit_manifest(target, v99)
    with pytest.raises(UnsupportedVersionError) as err:
        load_artifacts(target)
    assert str(err.value) == (
        f"{path}: manifest schema v99 is not supported (supported: v10, v11, v12, dbt 1.6 to 1.11)"
    )


def test_manifest_without_version(shop_project: Path, tmp_path: Path) -> None:
    target = copy_target(shop_project, tmp_path)
    path = edit_manifest(target, lambda data: data.pop("metadata"))
    with pytest.raises(ArtifactFormatError) as err:
        load_artifacts(target)
    assert str(err.value) == f"{path}: has no metadata.dbt_schema_version; is it a dbt manifest?"


def test_node_with_missing_parent(shop_project: Path, tmp_path: Path) -> None:
    target = copy_target(shop_project, tmp_path)

    def ghost_parent(data: dict) -> None:
        data["nodes"]["model.shop.dim_customers"]["depends_on"]["nodes"].append("model.shop.ghost")

    path = edit_manifest(target, ghost_parent)
    with pytest.raises(ManifestIntegrityError) as err:
        load_artifacts(target)
    assert str(err.value) == (
        f"{path}: model.shop.dim_customers depends on model.shop.ghost, which is not in the manifest"
    )


def test_wrong_shape_names_the_field(shop_project: Path, tmp_path: Path) -> None:
    target = copy_target(shop_project, tmp_path)

    def bad_columns(data: dict) -> None:
        data["nodes"]["model.shop.dim_customers"]["columns"] = ["not", "a", "mapping"]

    path = edit_manifest(target, bad_columns)
    with pytest.raises(ArtifactFormatError) as err:
        load_artifacts(target)
    assert str(err.value) == (
        f"{path}: nodes.model.shop.dim_customers.columns: Input should be a valid dictionary"
    )

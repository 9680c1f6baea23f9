"""The data dir's themes file keeps built-in themes as references, so an upgrade's better
built-in definitions reach an index whose themes were discovered or edited before it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingest.adapt import save_taxonomy
from ingest.errors import ConfigError
from ingest.themes import Theme, builtin_themes, load_taxonomy


def test_builtin_themes_are_saved_as_references(tmp_path: Path) -> None:
    tax = load_taxonomy()
    first, second = list(tax.themes)[:2]
    tax.themes[first] = tax.themes[first].model_copy(update={"label": "Our own name"})
    tax.themes["d_zips"] = Theme(
        label="Broken zips", description="Broken zips: zip, broke", discovered=True
    )
    path = tmp_path / "themes.yaml"
    save_taxonomy(tax, path)
    raw = yaml.safe_load(path.read_text("utf-8"))["themes"]
    assert raw[second] == {"builtin": True}
    assert raw[first] == {"builtin": True, "label": "Our own name"}
    assert raw["d_zips"]["label"] == "Broken zips" and raw["d_zips"]["discovered"] is True

    # a newer cxbot ships better examples: the saved file picks them up, the rename stays
    shipped = builtin_themes()
    loaded = load_taxonomy(path)
    assert loaded.themes[second].examples == shipped[second]["examples"]
    assert loaded.themes[first].label == "Our own name"
    assert loaded.themes[first].description == shipped[first]["description"]
    assert loaded.themes["d_zips"].label == "Broken zips"


def test_a_rewritten_builtin_theme_is_kept_in_full(tmp_path: Path) -> None:
    tax = load_taxonomy()
    name = next(iter(tax.themes))
    tax.themes[name] = tax.themes[name].model_copy(update={"examples": ["our own example"]})
    path = tmp_path / "themes.yaml"
    save_taxonomy(tax, path)
    raw = yaml.safe_load(path.read_text("utf-8"))["themes"]
    assert raw[name]["examples"] == ["our own example"] and "builtin" not in raw[name]
    assert load_taxonomy(path).themes[name].examples == ["our own example"]


def test_a_reference_to_an_unknown_builtin_theme_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "themes.yaml"
    path.write_text("themes:\n  no_such_theme:\n    builtin: true\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(path)
    assert "no_such_theme" in str(err.value) and str(path) in str(err.value)

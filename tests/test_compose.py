"""docker-compose.yml cannot run here (no docker), so what it says is checked: every CXBOT_
variable it sets is a real setting (a misspelt one would be silently ignored), and the two bot
replicas and the ingest share one database and one Chroma server but no data volume."""

from __future__ import annotations

import yaml

from ingest.config import Settings
from tests.conftest import ROOT


def test_compose_runs_two_replicas_that_share_only_the_database_and_chroma() -> None:
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = spec["services"]
    fields = {f"CXBOT_{name.upper()}" for name in Settings.model_fields}
    cx = {n: s for n, s in services.items() if n.startswith("cxbot") or n == "ingest"}
    assert len([n for n in cx if n != "ingest"]) == 2
    for name, svc in cx.items():
        env = svc["environment"]
        unknown = sorted(k for k in env if k.startswith("CXBOT_") and k not in fields)
        assert not unknown, (name, unknown)
        assert env["CXBOT_DATABASE_URL"].startswith("postgresql://")
        assert env["CXBOT_CHROMA_URL"] == "http://chroma:8000"
    urls = {svc["environment"]["CXBOT_DATABASE_URL"] for svc in cx.values()}
    assert len(urls) == 1
    data = [v.split(":")[0] for svc in cx.values() for v in svc["volumes"] if v.endswith("/data")]
    assert len(data) == len(set(data)) == len(cx)  # each its own: no shared disk
    assert {"postgres", "chroma"} <= set(services)

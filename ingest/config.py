"""Settings (one pydantic-settings class, env prefix CXBOT_) and the sources.yaml schema."""

from __future__ import annotations

import glob as globlib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from ingest.errors import ConfigError
from ingest.generations import Generation
from ingest.generations import current as current_generation
from ingest.scores import ScoreKind

Kind = Literal["survey", "metrics"]


class Settings(BaseSettings):
    """Every value is also a constructor argument, so tests never depend on the environment."""

    model_config = SettingsConfigDict(env_prefix="CXBOT_", extra="ignore")

    data_dir: Path = Path(".cxbot")
    # PostgreSQL for the shared state (Slack threads, votes, watches, ledgers, event dedupe,
    # the ingest lock): postgresql://user:password@host:5432/db. None: SQLite files in data_dir
    database_url: SecretStr | None = None
    chroma_url: str | None = None
    collection: str = "cxbot"
    embeddings: Literal["local", "openai"] = "local"
    model_path: Path | None = None
    tokenizer_path: Path | None = None
    model_sha256: str = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
    max_seq_length: int = 256
    embed_batch_size: int = 32
    embed_threads: int = 0
    openai_embedding_model: str = "text-embedding-3-small"
    taxonomy_path: Path | None = None
    # "auto": an ingest adds discovered themes when more than discover_above of the
    # complaints fall in no theme (see ingest.adapt); "off": the taxonomy only
    discover: Literal["auto", "off"] = "auto"
    discover_above: float = 0.2
    max_text_chars: int = 20_000
    redact_handles: bool = False
    min_segment_n: int = 30
    dense_in_memory_max: int = 200_000  # float32 vectors in RAM for exact dense search
    # above dense_in_memory_max and up to this, exact search over int8 codes from a file written
    # at ingest (ingest.vectors_file: 384 MB at 1M records); above this, Chroma's HNSW index
    dense_exact_max: int = 2_000_000

    # LLM synthesis (optional; the extractive answer is the default and the fallback)
    llm: Literal["none", "openai"] = "none"
    llm_model: str = "gpt-4o-mini"
    llm_temperature: float = 0.0
    llm_timeout_s: float = 20.0
    llm_max_tokens: int = 800
    llm_max_retries: int = 2
    llm_max_wait_s: float = 30.0
    llm_backoff_s: float = 1.0  # first retry pause, doubled each try (Retry-After wins)
    # with llm=openai, ingest asks the model to label verbatims (verified; the offline reading
    # is the fallback), at most this many requests per run (0: never); labels are cached
    llm_label_max_calls: int = 40
    llm_label_batch: int = 20  # verbatims per request
    llm_theme_names: bool = True  # with llm=openai, discovery asks the model for short names
    # with llm=openai, the model also reads the question into the structured query (one try,
    # at most llm_query_timeout_s; the offline parser answers when it fails)
    llm_understand: bool = True
    llm_query_timeout_s: float = 8.0
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "CXBOT_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_BASE_URL", "CXBOT_OPENAI_BASE_URL")
    )

    # Slack (tokens use Slack's standard variable names; they are never logged)
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "CXBOT_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "CXBOT_SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "CXBOT_SLACK_APP_TOKEN")
    )
    slack_api_url: str | None = None  # another Web API base URL (tests point it at a fake)
    allowed_channels: list[str] = Field(default_factory=list)  # empty: every channel
    reindex_users: list[str] = Field(default_factory=list)
    reindex_usergroup: str | None = None
    source_dirs: list[Path] = Field(default_factory=list)  # besides the sources.yaml folder
    sources_path: Path | None = None  # the sources.yaml that `/cx reindex` re-ingests
    digest_channels: list[str] = Field(default_factory=list)
    digest_cron: str = "0 9 * * mon"
    digest_timezone: str = "UTC"
    digest_catch_up_hours: float = 24.0  # a run missed while down is posted at start-up (0: off)
    production: bool = False
    # a folder with one file per secret, named like its variable (Docker/Kubernetes secrets:
    # /run/secrets/SLACK_BOT_TOKEN); the environment wins over a file
    secrets_dir: Path | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            _SecretsDir(settings_cls, init_settings),
        )

    def generation(self) -> Generation:
        """The index generation answering now (a full rebuild switches it atomically)."""
        url = self.database_url.get_secret_value() if self.database_url is not None else None
        return current_generation(self.data_dir, self.collection, url)

    @property
    def catalog_path(self) -> Path:
        """The current generation's catalog (read from `generation.json` on each use)."""
        return self.generation().catalog_path


class _SecretsDir(PydanticBaseSettingsSource):
    """pydantic-settings' secrets source, at the folder CXBOT_SECRETS_DIR (or the
    ``secrets_dir`` argument) names; a folder that is not there is an error, not a warning."""

    def __init__(self, settings_cls: type[BaseSettings], init: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.init = init

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ delegates

    def __call__(self) -> dict[str, Any]:
        given = getattr(self.init, "init_kwargs", {}).get("secrets_dir")
        folder = given or os.environ.get("CXBOT_SECRETS_DIR") or None
        if not folder:
            return {}
        if not Path(folder).is_dir():
            raise ConfigError(
                f"CXBOT_SECRETS_DIR '{folder}' is not a folder.",
                "Point it at the folder that holds one file per secret, named like the "
                "variable (e.g. /run/secrets with SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET).",
            )
        return SecretsSettingsSource(self.settings_cls, secrets_dir=folder)()


class ColumnMap(BaseModel):
    """Which source column holds what; None means infer it."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    text: str | None = None
    date: str | None = None
    score: str | None = None
    score_kind: ScoreKind | None = None  # nps, csat or stars; None: from the name and values
    url: str | None = None
    segments: list[str] = Field(default_factory=list)
    period: str | None = None
    metrics: list[str] = Field(default_factory=list)


class SourceSpec(BaseModel):
    """One entry of sources.yaml, or the flags of one `cxbot ingest` call."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    path: str
    name: str | None = None
    columns: ColumnMap = Field(default_factory=ColumnMap)
    segments: dict[str, str] = Field(default_factory=dict)
    sheet: str | None = None
    date_format: str | None = None  # dmy / mdy or a strptime format; None: decided from values

    def files(self, base: Path | None = None, allowed: list[Path] | None = None) -> list[Path]:
        """Expand the path or glob; a glob that matches nothing is an error, not a silent no-op.

        With ``base`` (the folder of sources.yaml) every file, symlinks resolved, must lie under
        it or under one of ``allowed``: a config file (or a re-index started from Slack) must not
        read /etc/passwd or a symlink pointing out of the data folders.
        """
        pattern = (
            self.path if base is None or Path(self.path).is_absolute() else str(base / self.path)
        )
        if globlib.has_magic(pattern):
            found = sorted(
                Path(p) for p in globlib.glob(pattern, recursive=True) if Path(p).is_file()
            )
            if not found:
                raise ConfigError(
                    f"The pattern '{self.path}' matches no file.",
                    "Check the path in sources.yaml (it is relative to the YAML file).",
                )
        else:
            found = [Path(pattern)]
        if base is not None:
            roots = [base.resolve(), *(Path(a).resolve() for a in allowed or [])]
            for f in found:
                real = f.resolve()
                if not any(real.is_relative_to(r) for r in roots):
                    how = "is a symlink to" if f.is_symlink() else "resolves to"
                    raise ConfigError(
                        f"'{f}' {how} {real}, outside the source folders "
                        f"({', '.join(str(r) for r in roots)}).",
                        "Move the file under the folder of sources.yaml, or add its folder to "
                        "CXBOT_SOURCE_DIRS.",
                    )
        return found


class SourcesConfig(BaseModel):
    """The whole sources.yaml file."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceSpec]
    metric_themes: dict[str, list[str]] = Field(default_factory=dict)
    metric_directions: dict[str, Literal["higher", "lower"]] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("sources")
    @classmethod
    def _not_empty(cls, v: list[SourceSpec]) -> list[SourceSpec]:
        if not v:
            raise ValueError("list at least one source")
        return v


def load_sources_config(path: Path) -> SourcesConfig:
    """Parse and validate sources.yaml; errors name the key and say what is expected."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}.", "Fix the syntax.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'sources:' list at the top.")
    try:
        return SourcesConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_validation_error(exc)}") from None


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the key path, e.g. sources.0.kind."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)

"""The one Settings object, built in the composition root and passed to everything else."""

from pathlib import Path

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.config import SlackSettings
from memory.config import EmbeddingSettings, MemorySettings, VectorSettings
from summarizer.config import LLMSettings, SummarySettings


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("kiok", appauthor=False))


class Settings(BaseSettings):
    """Read from the environment (`KIOK_…`, nested with `__`) and `.env`; tests build it directly."""

    model_config = SettingsConfigDict(
        env_prefix="KIOK_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    data_dir: Path = Field(default_factory=default_data_dir, description="Where embedded stores live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL. Default: SQLite file kiok.db in the data directory."
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    slack: SlackSettings = Field(default_factory=SlackSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    vector: VectorSettings = Field(default_factory=VectorSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    summary: SummarySettings = Field(default_factory=SummarySettings)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR (KIOK_LOG_LEVEL)")
        return level

    @property
    def vector_path(self) -> Path:
        """Directory of the embedded vector index."""
        return self.vector.path or self.data_dir / "qdrant"

    @property
    def db_url(self) -> str:
        """The database URL to use, with the SQLite default filled in."""
        return self.database_url or f"sqlite:///{self.data_dir / 'kiok.db'}"


__all__ = ["Settings", "default_data_dir"]

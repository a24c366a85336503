"""Records of other apps that the import wizard writes.

accounts depends on no other app of ours, so an app whose records arrive
through the wizard (stakeholders: people) registers a writer here in its
AppConfig.ready(), as it registers an account page section. The wizard
recognises, maps, types and checks the file as for its own records, then
hands each chunk of typed rows to the writer, with the wizard's own writer
beside it for the shared steps: refusing a row, resolving an account,
recording every change so the import can be undone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.db import models

if TYPE_CHECKING:
    from accounts.wizard import FileRows


class EntityWrite(Protocol):
    """One import's writer for one kind of record."""

    def write(self, files: list[FileRows]) -> None: ...

    def flush(self) -> None: ...


@dataclass(frozen=True)
class ImportWriter:
    entity: str
    # Called once per import with the wizard's writer (accounts.wizard).
    start: Callable[[Any], EntityWrite]
    # The models it creates or updates, restored by an undo before the
    # accounts' own: a person goes before the account it sits on.
    models: tuple[type[models.Model], ...]


_writers: dict[str, ImportWriter] = {}


def import_writer_register(writer: ImportWriter) -> None:
    """Let the wizard write one more kind of record; an entity registers once."""
    _writers[writer.entity] = writer


def import_writer_get(entity: str) -> ImportWriter | None:
    return _writers.get(entity)


def import_writer_models() -> tuple[type[models.Model], ...]:
    """Return every registered writer's models, in entity order."""
    return tuple(
        model for _, writer in sorted(_writers.items()) for model in writer.models
    )

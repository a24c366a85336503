"""Steps into the import wizard that many of its tests take first."""

from pathlib import Path

from accounts.models import MappedImport
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)


def opened(*paths: Path) -> MappedImport:
    """Upload the files in the wizard and take the mapping it proposes."""
    mapped = mapped_import_create_from_paths(user=None, paths=list(paths))
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped

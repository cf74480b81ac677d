"""The file system storage of population files: STORAGES["population_files"] by default.

Django's FileSystemStorage keeps its folder from MEDIA_ROOT; population files have their own
folder, IMPORT_ROOT, read at each use (so an override in a test or a shell applies, as it does
for MEDIA_ROOT). An object store replaces it by settings alone (docs/configuration.md)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class ImportRootStorage(FileSystemStorage):
    """FileSystemStorage below IMPORT_ROOT unless OPTIONS names a `location`."""

    @property
    def base_location(self) -> str:
        return str(getattr(self, "_location", None) or settings.IMPORT_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

"""Documents held between two posts of the same form. A browser cannot refill a file input, so
when one of several documents is refused, the accepted ones are kept in storage (named in the
session) and sent with the next post; the user only chooses the refused file again."""

import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from .uploads import check_upload

SESSION_KEY = "riskcomp_held_uploads"
# Long enough to find the right file again; held files are not evidence until submitted.
MAX_AGE = 60 * 60
DIRECTORY = "held-uploads"


class HeldFile(SimpleUploadedFile):
    """A document read back from the holding area; ``stored`` is where it waits."""

    stored: str = ""


class HeldUploads:
    """The documents held for one form (``scope``, e.g. ``claim:12``) of the session's user."""

    def __init__(self, request: HttpRequest, scope: str) -> None:
        self.request = request
        self.scope = scope

    def _entry(self) -> dict[str, Any]:
        everything = self.request.session.get(SESSION_KEY, {})
        entry = everything.get(self.scope) if isinstance(everything, dict) else None
        if not isinstance(entry, dict):
            return {}
        if not 0 <= time.time() - entry.get("at", 0) <= MAX_AGE:
            self.clear()
            return {}
        files = entry.get("files")
        return files if isinstance(files, dict) else {}

    def names(self) -> dict[str, list[str]]:
        """The original names of the held documents, by form field."""
        return {field: [name for _stored, name, _type in rows]
                for field, rows in self._entry().items() if rows}

    def with_held(self, files: MultiValueDict[str, Any], *, multiple: Sequence[str] = ()
                  ) -> MultiValueDict[str, Any]:
        """``files`` as posted, plus the held documents: a one-file field takes its held file
        when no new one was chosen; a several-files field takes the held ones and the new."""
        merged = files.copy()
        for field, rows in self._entry().items():
            new = files.getlist(field)
            if new and field not in multiple:
                continue
            held = []
            for stored, name, content_type in rows:
                try:
                    with default_storage.open(stored) as fh:
                        upload = HeldFile(name, fh.read(), content_type)
                except OSError:
                    continue
                upload.stored = stored
                held.append(upload)
            merged.setlist(field, [*held, *new])
        return merged

    def keep(self, files: MultiValueDict[str, Any], fields: Sequence[str]) -> None:
        """Hold every document of ``fields`` in ``files`` that passes the upload check, in place
        of what was held for that field before; the refused ones are dropped."""
        before = self._entry()
        kept: dict[str, list[list[str]]] = {}
        for field in fields:
            rows = []
            for upload in files.getlist(field):
                if not _acceptable(upload):
                    continue
                stored = getattr(upload, "stored", "") or default_storage.save(
                    f"{DIRECTORY}/{uuid.uuid4().hex}", upload)
                rows.append([stored, upload.name or field,
                             upload.content_type or "application/octet-stream"])
            if rows:
                kept[field] = rows
        still = {row[0] for rows in kept.values() for row in rows}
        for rows in before.values():
            for stored, _name, _type in rows:
                if stored not in still:
                    default_storage.delete(stored)
        everything = self.request.session.get(SESSION_KEY, {})
        everything = everything if isinstance(everything, dict) else {}
        if kept:
            everything[self.scope] = {"at": time.time(), "files": kept}
        else:
            everything.pop(self.scope, None)
        self.request.session[SESSION_KEY] = everything

    def clear(self) -> None:
        """Forget the held documents (the form was submitted, or they are too old)."""
        everything = self.request.session.get(SESSION_KEY, {})
        if not isinstance(everything, dict):
            return
        entry = everything.pop(self.scope, None)
        if isinstance(entry, dict) and isinstance(entry.get("files"), dict):
            for rows in entry["files"].values():
                for stored, _name, _type in rows:
                    default_storage.delete(stored)
        self.request.session[SESSION_KEY] = everything


def _acceptable(upload: UploadedFile) -> bool:
    try:
        check_upload(upload)
    except ValidationError:
        return False
    return True


def sweep_held_files(*, also: Sequence[tuple[str, int]] = (), now: datetime | None = None
                     ) -> int:
    """Delete the held documents nobody came back for: the claim uploads held here and, in
    ``also``, the other (directory, hold in seconds) pairs the apps above keep files in (the
    forms kept across a password check, ``accounts.security``), once older than their hold.
    Returns how many files were deleted."""
    now = now or timezone.now()
    deleted = 0
    for directory, max_age in ((DIRECTORY, MAX_AGE), *also):
        try:
            _dirs, names = default_storage.listdir(directory)
        except FileNotFoundError:
            continue
        for name in names:
            path = f"{directory}/{name}"
            try:
                modified = default_storage.get_modified_time(path)
            except (FileNotFoundError, NotImplementedError):
                continue
            if now - modified > timedelta(seconds=max_age):
                default_storage.delete(path)
                deleted += 1
    return deleted

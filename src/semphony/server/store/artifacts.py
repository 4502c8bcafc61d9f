"""The ``artifacts`` table: the image files an operation wrote (paths relative to the data dir)."""

from __future__ import annotations

from semphony.server.errors import RecordNotFoundError
from semphony.server.store._db import Database, Row
from semphony.server.store._rows import Clock, secs, ts
from semphony.server.store._schema import next_seq
from semphony.server.store.records import ArtifactRecord

__all__ = ["ArtifactRepository"]


def _artifact(row: Row) -> ArtifactRecord:
    return ArtifactRecord(
        image_id=row["image_id"],
        operation_id=row["operation_id"],
        path=row["path"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        mime=row["mime"],
        width=row["width"],
        height=row["height"],
        created_at=ts(row["created_at"]),
        instrument=row["instrument"],
    )


class ArtifactRepository:
    """Record written image files and find them again: this instrument's (the files are in its
    server's data dir); `find` looks on every instrument."""

    def __init__(self, db: Database, clock: Clock, instrument: str = "local") -> None:
        self._db = db
        self._clock = clock
        self._instrument = instrument

    def add(self, artifact: ArtifactRecord) -> ArtifactRecord:
        """Record a written image file (see ``ArtifactStore.write``)."""
        created = artifact.created_at or ts(self._clock())
        with self._db.write() as tx:
            if (
                artifact.operation_id is not None
                and tx.execute(
                    "SELECT 1 FROM operations WHERE id = ? AND instrument = ?",
                    (artifact.operation_id, self._instrument),
                ).fetchone()
                is None
            ):
                raise RecordNotFoundError("operation", artifact.operation_id)
            tx.execute(
                "INSERT INTO artifacts (image_id, operation_id, path, sha256, size_bytes, mime,"
                " width, height, created_at, instrument, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                f" ?, {next_seq('artifacts')})",
                (
                    artifact.image_id,
                    artifact.operation_id,
                    artifact.path,
                    artifact.sha256,
                    artifact.size_bytes,
                    artifact.mime,
                    artifact.width,
                    artifact.height,
                    secs(created),
                    self._instrument,
                ),
            )
        return ArtifactRecord(
            image_id=artifact.image_id,
            operation_id=artifact.operation_id,
            path=artifact.path,
            sha256=artifact.sha256,
            size_bytes=artifact.size_bytes,
            mime=artifact.mime,
            width=artifact.width,
            height=artifact.height,
            created_at=created,
            instrument=self._instrument,
        )

    def get(self, image_id: str) -> ArtifactRecord | None:
        """This instrument's artifact record, or None."""
        found = self.find(image_id)
        return found if found is not None and found.instrument == self._instrument else None

    def find(self, image_id: str) -> ArtifactRecord | None:
        """The artifact record of any instrument, or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM artifacts WHERE image_id = ?", (image_id,)).fetchone()
        return None if row is None else _artifact(row)

    def all(self, *, operation_id: str | None = None) -> list[ArtifactRecord]:
        """All artifacts (or one operation's), oldest first."""
        with self._db.read() as conn:
            if operation_id is None:
                rows = conn.execute(
                    "SELECT * FROM artifacts WHERE instrument = ? ORDER BY created_at, seq",
                    (self._instrument,),
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM artifacts WHERE operation_id = ? AND instrument = ?"
                    " ORDER BY created_at, seq",
                    (operation_id, self._instrument),
                ).fetchall()
        return [_artifact(r) for r in rows]

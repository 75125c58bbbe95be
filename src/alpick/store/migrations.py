"""The schema, as an ordered list of migrations: version ``k`` is reached by applying the first
``k`` of them. Never edit a released migration; append a new one.

Each migration is a list of single SQL statements (not a script: ``executescript`` would commit
the surrounding transaction), so that all pending migrations apply in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

_V1_INITIAL: tuple[str, ...] = (
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        hash TEXT NOT NULL
    )""",
    """CREATE TABLE classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE labels (
        sample_id INTEGER NOT NULL REFERENCES samples(id),
        class_id INTEGER NOT NULL REFERENCES classes(id),
        x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL
    )""",
    "CREATE INDEX labels_by_sample ON labels(sample_id)",
    """CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        parent_id INTEGER REFERENCES tags(id),
        method TEXT NOT NULL,
        config TEXT NOT NULL,
        seed INTEGER,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE tag_members (
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        sample_id INTEGER NOT NULL REFERENCES samples(id),
        position INTEGER NOT NULL,
        PRIMARY KEY (tag_id, position),
        UNIQUE (tag_id, sample_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE embedding_sets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        file TEXT NOT NULL,
        meta TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE prediction_sets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        classes TEXT NOT NULL,
        samples INTEGER NOT NULL,
        boxes INTEGER NOT NULL,
        file TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE score_sets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        prediction_set TEXT NOT NULL,
        score_names TEXT NOT NULL,
        rows INTEGER NOT NULL,
        file TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        config TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
)

_V2_LABEL_SETS: tuple[str, ...] = (
    # Labels brought back from a labelling tool: each import is a label set (never edited); the
    # ``labels`` table stays the ground truth read from the project's label files. An image's
    # current labels are those of the newest set that has it, else its ``labels`` rows.
    """CREATE TABLE label_sets (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        images INTEGER NOT NULL,
        boxes INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE label_set_images (
        set_id INTEGER NOT NULL REFERENCES label_sets(id),
        sample_id INTEGER NOT NULL REFERENCES samples(id),
        PRIMARY KEY (set_id, sample_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX label_set_images_by_sample ON label_set_images(sample_id, set_id)",
    """CREATE TABLE label_set_boxes (
        set_id INTEGER NOT NULL REFERENCES label_sets(id),
        sample_id INTEGER NOT NULL REFERENCES samples(id),
        class_id INTEGER NOT NULL REFERENCES classes(id),
        x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL
    )""",
    "CREATE INDEX label_set_boxes_by_set ON label_set_boxes(set_id, sample_id)",
    """CREATE VIEW current_labels AS
        WITH latest AS (
            SELECT sample_id, max(set_id) AS set_id FROM label_set_images GROUP BY sample_id
        )
        SELECT l.sample_id, l.class_id, l.x0, l.y0, l.x1, l.y1, 0 AS set_id, l.rowid AS seq
        FROM labels AS l WHERE l.sample_id NOT IN (SELECT sample_id FROM latest)
        UNION ALL
        SELECT b.sample_id, b.class_id, b.x0, b.y0, b.x1, b.y1, b.set_id, b.rowid AS seq
        FROM label_set_boxes AS b
        JOIN latest ON latest.sample_id = b.sample_id AND latest.set_id = b.set_id""",
)

MIGRATIONS: Sequence[Sequence[str]] = (_V1_INITIAL, _V2_LABEL_SETS)
"""Migration ``i`` takes the schema from version ``i`` to ``i + 1``."""

"""Foreign keys the database checks once per statement instead of once per row.

PostgreSQL checks a foreign key with a trigger per inserted row: ~3 us each, paid millions of
times by a bulk import or an issuance run that names the same few parents over and over. For
the tables written in bulk, the reference is enforced instead by triggers that migrations
install with `references_sql`:

- after each INSERT statement, over its new rows (a transition table): the parents named are
  locked FOR KEY SHARE, as a foreign key does, and must all exist;
- a row whose reference changes is checked (and its parent locked) by a row trigger;
- deleting a parent, or changing its id, is refused while a row names it.

The Django field keeps `on_delete=PROTECT` and `db_constraint=False`. Tests in
tests/compensation/test_population_integrity.py show raw SQL is refused and a delete racing an
uncommitted insert waits and is refused.
"""

from __future__ import annotations


def _insert_check(child: str, refs: list[tuple[str, str]]) -> str:
    checks = []
    for column, parent in refs:
        # The LATERAL lock makes the parent a look-up by primary key for each distinct value:
        # a plain `id IN (...)` may be planned as a scan of the whole parent table, which for
        # the person or award table costs more than the per-row keys it replaces. LIMIT 1 may
        # stop early only when a value is missing, and then the statement fails anyway.
        checks.append(
            f"""
    SELECT n.v::text INTO missing
        FROM (SELECT DISTINCT {column} AS v FROM new_rows WHERE {column} IS NOT NULL) n
        LEFT JOIN LATERAL (SELECT p.id FROM {parent} p WHERE p.id = n.v FOR KEY SHARE) l
            ON true
        WHERE l.id IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '{child}.{column} = % names no row of {parent}', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;"""
        )
    return f"""
CREATE FUNCTION {child}_refs_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN{"".join(checks)}
    RETURN NULL;
END;
$$;
CREATE TRIGGER {child}_refs_insert AFTER INSERT ON {child}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION {child}_refs_insert();
"""


def _update_check(child: str, column: str, parent: str) -> str:
    name = f"{child}_{column}_ref_update"
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {parent} WHERE id = NEW.{column} FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '{child}.{column} = % names no row of {parent}', NEW.{column}
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER {name} BEFORE UPDATE OF {column} ON {child}
    FOR EACH ROW WHEN (NEW.{column} IS NOT NULL AND NEW.{column} IS DISTINCT FROM OLD.{column})
    EXECUTE FUNCTION {name}();
"""


def _parent_protect(child: str, column: str, parent: str) -> str:
    name = f"{child}_{column}_ref_protect"
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {child} WHERE {column} = OLD.id) THEN
        RAISE EXCEPTION '{parent} % is named by {child}.{column} and cannot be deleted',
            OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
CREATE TRIGGER {name} BEFORE DELETE ON {parent}
    FOR EACH ROW EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_id BEFORE UPDATE OF id ON {parent}
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION {name}();
"""


def references_sql(child: str, refs: list[tuple[str, str]]) -> tuple[str, str]:
    """(forward, reverse) SQL for a migration: `child`'s columns in `refs` as (column,
    parent table) become statement-checked references. Drop the real foreign keys in the same
    migration (db_constraint=False)."""
    forward = _insert_check(child, refs)
    reverse = [
        f"DROP TRIGGER IF EXISTS {child}_refs_insert ON {child};",
        f"DROP FUNCTION IF EXISTS {child}_refs_insert();",
    ]
    for column, parent in refs:
        forward += _update_check(child, column, parent) + _parent_protect(child, column, parent)
        update, protect = f"{child}_{column}_ref_update", f"{child}_{column}_ref_protect"
        reverse += [
            f"DROP TRIGGER IF EXISTS {update} ON {child};",
            f"DROP FUNCTION IF EXISTS {update}();",
            f"DROP TRIGGER IF EXISTS {protect} ON {parent};",
            f"DROP TRIGGER IF EXISTS {protect}_id ON {parent};",
            f"DROP FUNCTION IF EXISTS {protect}();",
        ]
    return forward, "\n".join(reverse)

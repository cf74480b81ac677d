"""The population file's row checks and normalization, as SQL over the staging table.

One place for the rules: every column's check (with the message the operator sees) and the
normalization, including the HMAC of email and phone, computed by PostgreSQL's built-in
sha256() from the padded keys (see compensation.hashing.hmac_pads) so no extension is needed
and the hashes equal those Python computes for claims.

Cost matters at 33.7M rows: each chunk is one statement that reads its staging rows once (the
trimmed values are materialized, so checks and normalization read plain columns), rejects the
bad ones and merges the rest. The checks use LIKE, replace() and simple character-class regexes
(bounded quantifiers such as {1,64} cost seconds per million rows), and the data categories,
a few dozen spellings in a file of millions of rows, are normalized once per spelling.
"""

from compensation.models.choices import AccountStatus, DataCategory, Language

_WS = r"E' \t\n\r\f\013'"  # ASCII whitespace, as compensation.hashing trims

LANGUAGES = [lang.value for lang in Language]
LANGUAGE_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_hans": "zh-hans"}
CATEGORIES = [c.value for c in DataCategory]
STATUSES = [s.value for s in AccountStatus]


def trimmed(column: str) -> str:
    return f"btrim(coalesce({column}, ''), {_WS})"


def physical_line(table: str, line: str) -> str:
    """The file line a staged row starts on, from its `line` (see population_staging: the
    shift table is empty unless records spanned lines, and rejects are few, so this is one
    index probe per reported row)."""
    return (
        f"({line} + coalesce((SELECT sh.shift FROM {table}_shift sh WHERE sh.line < {line} "
        "ORDER BY sh.line DESC LIMIT 1), 0))"
    )


def nfkc(column: str) -> str:
    """NFKC as compensation.hashing applies it to emails and phones. An ASCII value (nearly
    every row) is its own NFKC form, so normalize() runs only on the others."""
    return (
        f"CASE WHEN octet_length({column}) = length({column}) THEN {column} "
        f"ELSE normalize({column}, NFKC) END"
    )


def _phone_digits(column: str) -> str:
    """A phone that passed its check holds only digits and ' ().-+': dropping those five
    characters (replace() is cheaper than translate() or a regular expression) leaves the
    digits."""
    expr = column
    for char in " ().-+":
        expr = f"replace({expr}, '{char}', '')"
    return expr


def categories_map_sql(table: str) -> str:
    """The import's category map: each distinct spelling of the data_categories column in the
    file, its normalized value (sorted, no repeats, so a re-ordered list is not a change) and
    its first unknown category, if any."""
    tokens = "array_remove(string_to_array(lower(translate(d.raw, E'| \\t', ';')), ';'), '')"
    return f"""
        CREATE UNLOGGED TABLE {table}_categories AS
        SELECT d.raw,
            (SELECT coalesce(array_agg(DISTINCT c ORDER BY c), '{{}}') FROM unnest({tokens}) c
            )::varchar(32)[] AS categories,
            (SELECT c FROM unnest({tokens}) c WHERE c <> ALL(%(categories)s) LIMIT 1)
                AS unknown_category
        FROM (SELECT DISTINCT coalesce(data_categories, '') AS raw FROM {table}) d
    """


# A chunk's staging rows, trimmed once; email and phone NFKC-normalized first, so the checks,
# the contact details kept and the hashes all read what compensation.hashing reads. Rows whose
# data_categories spelling is not in the map cannot exist: the map was built from the whole
# staging table.
_CHUNK_ROWS = f"""SELECT s.line,
    {trimmed("s.external_id")} AS external_id, {trimmed("s.name")} AS name,
    {trimmed(nfkc("s.email"))} AS email, {trimmed(nfkc("s.phone"))} AS phone,
    {_phone_digits(trimmed(nfkc("s.phone")))} AS phone_digits,
    lower({trimmed("s.language")}) AS language, {trimmed("s.region")} AS region,
    {trimmed("s.segment")} AS segment, lower({trimmed("s.account_status")}) AS account_status,
    m.categories, m.unknown_category
FROM {{table}} s JOIN {{table}}_categories m ON m.raw = coalesce(s.data_categories, '')
WHERE s.line > %(lo)s AND s.line <= %(hi)s"""

# (column, condition true when the value is wrong, message SQL), in the file's column order;
# the first failing one is reported.
CHECKS = [
    ("external_id", "v.external_id = ''", "'is empty'"),
    (
        "external_id",
        "length(v.external_id) > 64 OR v.external_id ~ '[^A-Za-z0-9_.:-]'",
        "'must be 1-64 letters, digits or _-.:'",
    ),
    ("name", "length(v.name) > 200", "'is longer than 200 characters'"),
    (
        "email",
        "v.email <> '' AND NOT (v.email LIKE '_%%@_%%._%%' AND v.email NOT LIKE '%%@%%@%%' "
        "AND strpos(v.email, ' ') = 0 AND length(v.email) <= 254 "
        "AND length(split_part(v.email, '@', 1)) <= 64)",
        "'is not an email address'",
    ),
    (
        "phone",
        "v.phone <> '' AND (v.phone ~ '[^0-9 ().+-]' OR strpos(substr(v.phone, 2), '+') > 0 "
        "OR length(v.phone_digits) NOT BETWEEN 7 AND 15)",
        "'is not a phone number (7-15 digits)'",
    ),
    (
        "language",
        "v.language <> '' AND v.language <> ALL(%(languages)s)",
        "'must be one of ko, en, zh-hans (found ' || quote_literal(left(v.language, 12)) || ')'",
    ),
    ("region", "length(v.region) > 32", "'is longer than 32 characters'"),
    ("segment", "length(v.segment) > 32", "'is longer than 32 characters'"),
    (
        "data_categories",
        "v.unknown_category IS NOT NULL",
        "'unknown category ' || quote_literal(left(v.unknown_category, 24))",
    ),
    (
        "account_status",
        "v.account_status <> '' AND v.account_status <> ALL(%(statuses)s)",
        "'must be active, dormant or closed'",
    ),
]


def _hmac(message_sql: str) -> str:
    return (
        f"sha256(%(opad)s::bytea || sha256(%(ipad)s::bytea || convert_to({message_sql}, 'UTF8')))"
    )


_PHONE_NORMAL = (
    "CASE WHEN v.phone LIKE '+%%' THEN v.phone_digits "
    "WHEN v.phone_digits LIKE '0%%' AND length(v.phone_digits) BETWEEN 9 AND 11 "
    "THEN '82' || substr(v.phone_digits, 2) ELSE v.phone_digits END"
)
_LANGUAGE = (
    "CASE v.language WHEN '' THEN 'ko' "
    + " ".join(f"WHEN '{alias}' THEN '{target}'" for alias, target in LANGUAGE_ALIASES.items())
    + " ELSE v.language END"
)
# COLLATE "C": lower() lowers ASCII letters only, whatever the database's collation (as
# compensation.hashing.email_normalize does).
_EMAIL_HMAC = _hmac("""'email:' || lower(v.email COLLATE "C")""")
_PHONE_HMAC = _hmac("'phone:' || " + _PHONE_NORMAL)

# Column of compensation_affectedperson -> its value computed from a checked row of the chunk.
NORMALIZED = {
    "external_id": "v.external_id",
    "name": "v.name",
    "email": "v.email",
    "phone": "v.phone",
    "language": _LANGUAGE,
    "region": "v.region",
    "segment": "v.segment",
    "account_status": "coalesce(nullif(v.account_status, ''), 'active')",
    "data_categories": "v.categories",
    "email_hash": f"CASE WHEN v.email = '' THEN NULL ELSE {_EMAIL_HMAC} END",
    "phone_hash": f"CASE WHEN v.phone = '' THEN NULL ELSE {_PHONE_HMAC} END",
}

# The columns a re-import may change (everything but the key).
PERSON_COLUMNS = tuple(column for column in NORMALIZED if column != "external_id")

_CHUNK_SQL = """
WITH v AS MATERIALIZED ({rows}),
checked AS MATERIALIZED (
    SELECT v.*, CASE {problem} END AS problem FROM v
),
rejected AS (
    INSERT INTO compensation_populationreject (population_import_id, line, "column", message)
    SELECT %(import)s, {reject_line}, split_part(problem, chr(31), 1),
        split_part(problem, chr(31), 2)
    FROM checked WHERE problem IS NOT NULL
    RETURNING 1
),
merged AS (
    INSERT INTO compensation_affectedperson AS p
        (program_id, {columns}, last_import_id, created_at, updated_at)
    SELECT %(program)s, {values}, %(import)s, now(), now()
    FROM checked v WHERE v.problem IS NULL
    ON CONFLICT (program_id, external_id) DO UPDATE SET
        {updates}, last_import_id = EXCLUDED.last_import_id, updated_at = EXCLUDED.updated_at
    WHERE ({old}) IS DISTINCT FROM ({new})
    RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM checked), (SELECT count(*) FROM rejected),
    count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM merged
"""


def chunk_sql(table: str) -> str:
    """One chunk of lines lo..hi: reject the rows that fail a check (line, column, message),
    merge the others. Returns one row: rows read, rejected, inserted, updated."""
    problem = " ".join(f"WHEN {cond} THEN '{col}' || chr(31) || {msg}" for col, cond, msg in CHECKS)
    return _CHUNK_SQL.format(
        rows=_CHUNK_ROWS.format(table=table),
        problem=problem,
        reject_line=physical_line(table, "checked.line"),
        columns=", ".join(NORMALIZED),
        values=", ".join(NORMALIZED.values()),
        updates=", ".join(f"{c} = EXCLUDED.{c}" for c in PERSON_COLUMNS),
        old=", ".join(f"p.{c}" for c in PERSON_COLUMNS),
        new=", ".join(f"EXCLUDED.{c}" for c in PERSON_COLUMNS),
    )


def check_params() -> dict:
    return {
        "languages": LANGUAGES + list(LANGUAGE_ALIASES),
        "categories": CATEGORIES,
        "statuses": STATUSES,
    }

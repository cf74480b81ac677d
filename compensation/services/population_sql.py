"""The population file's row checks and normalization, as SQL over the staging table.

One place for the rules: every column's check (with the message the operator sees) and the
normalization, including the HMAC of email and phone, computed by PostgreSQL's built-in
sha256() from the padded keys (see compensation.hashing.hmac_pads) so no extension is needed
and the hashes equal those Python computes for claims. The checks use LIKE, replace() and
simple character-class regexes: bounded quantifiers ({1,64}) cost seconds per million rows.
"""

from compensation.models.choices import AccountStatus, DataCategory, Language

_WS = r"E' \t\n\r\f\013'"  # ASCII whitespace, as compensation.hashing trims
# A phone that passed its check holds only digits and ' ().-+': dropping those five characters
# (replace() is much cheaper than a regular expression per row) leaves the digits.
_PHONE_DIGITS_EXPR = "v.phone"
for _char in " ().-+":
    _PHONE_DIGITS_EXPR = f"replace({_PHONE_DIGITS_EXPR}, '{_char}', '')"

LANGUAGES = [lang.value for lang in Language]
LANGUAGE_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_hans": "zh-hans"}
CATEGORIES = [c.value for c in DataCategory]
STATUSES = [s.value for s in AccountStatus]


def trimmed(column: str) -> str:
    return f"btrim(coalesce({column}, ''), {_WS})"


# Each staging row's values, trimmed once (a LATERAL subquery named v).
_VALUES = f"""LATERAL (SELECT
    {trimmed("s.external_id")} AS external_id, {trimmed("s.name")} AS name,
    {trimmed("s.email")} AS email, {trimmed("s.phone")} AS phone,
    lower({trimmed("s.language")}) AS language, {trimmed("s.region")} AS region,
    {trimmed("s.segment")} AS segment, lower({trimmed("s.account_status")}) AS account_status,
    array_remove(string_to_array(lower(translate(coalesce(s.data_categories, ''),
        E'| \\t', ';')), ';'), '') AS categories
) v"""

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
        f"OR length({_PHONE_DIGITS_EXPR}) NOT BETWEEN 7 AND 15)",
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
        "NOT (v.categories <@ %(categories)s::text[])",
        "'unknown category ' || quote_literal(left((SELECT c FROM unnest(v.categories) c "
        "WHERE c <> ALL(%(categories)s) LIMIT 1), 24))",
    ),
    (
        "account_status",
        "v.account_status <> '' AND v.account_status <> ALL(%(statuses)s)",
        "'must be active, dormant or closed'",
    ),
]


def rejects_sql(table: str) -> str:
    """Move every row of lines lo..hi that fails a check from staging to the reject table."""
    problem = " ".join(f"WHEN {cond} THEN '{col}' || chr(31) || {msg}" for col, cond, msg in CHECKS)
    return f"""
        WITH checked AS (
            SELECT s.line, CASE {problem} END AS problem FROM {table} s, {_VALUES}
            WHERE s.line > %(lo)s AND s.line <= %(hi)s
        ), gone AS (
            DELETE FROM {table} s USING checked c
            WHERE s.line = c.line AND c.problem IS NOT NULL
            RETURNING c.line, c.problem
        )
        INSERT INTO compensation_populationreject (population_import_id, line, "column", message)
        SELECT %(import)s, line, split_part(problem, chr(31), 1), split_part(problem, chr(31), 2)
        FROM gone
    """


def _hmac(message_sql: str) -> str:
    return (
        f"sha256(%(opad)s::bytea || sha256(%(ipad)s::bytea || convert_to({message_sql}, 'UTF8')))"
    )


_PHONE_DIGITS = _PHONE_DIGITS_EXPR
_PHONE_NORMAL = (
    f"CASE WHEN v.phone LIKE '+%%' THEN {_PHONE_DIGITS} "
    f"WHEN {_PHONE_DIGITS} LIKE '0%%' AND length({_PHONE_DIGITS}) BETWEEN 9 AND 11 "
    f"THEN '82' || substr({_PHONE_DIGITS}, 2) ELSE {_PHONE_DIGITS} END"
)
_LANGUAGE = (
    "CASE v.language WHEN '' THEN 'ko' "
    + " ".join(f"WHEN '{alias}' THEN '{target}'" for alias, target in LANGUAGE_ALIASES.items())
    + " ELSE v.language END"
)
_EMAIL_HMAC = _hmac("'email:' || lower(v.email)")
_PHONE_HMAC = _hmac("'phone:' || " + _PHONE_NORMAL)

# Column of compensation_affectedperson -> its value computed from a checked staging row.
NORMALIZED = {
    "external_id": "v.external_id",
    "name": "v.name",
    "email": "v.email",
    "phone": "v.phone",
    "language": _LANGUAGE,
    "region": "v.region",
    "segment": "v.segment",
    "account_status": "coalesce(nullif(v.account_status, ''), 'active')",
    # Sorted and without repeats, so a re-ordered list is not a change.
    "data_categories": "(SELECT coalesce(array_agg(DISTINCT c ORDER BY c), '{}') "
    "FROM unnest(v.categories) c)::varchar(32)[]",
    "email_hash": f"CASE WHEN v.email = '' THEN NULL ELSE {_EMAIL_HMAC} END",
    "phone_hash": f"CASE WHEN v.phone = '' THEN NULL ELSE {_PHONE_HMAC} END",
}


def merge_source(table: str) -> str:
    return f"{table} s, {_VALUES}"


def check_params() -> dict:
    return {
        "languages": LANGUAGES + list(LANGUAGE_ALIASES),
        "categories": CATEGORIES,
        "statuses": STATUSES,
    }

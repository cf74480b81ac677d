"""The schema's rule for required text in request bodies is DRF's: not blank after Python's
str.strip() and no NUL. A character Python trims but a regular expression's \\S keeps (\\x1c)
made a schema-valid request that DRF refused (schemathesis ST202)."""

import re
import sys

from config.openapi import NOT_BLANK


def test_the_pattern_is_blank_exactly_where_python_strips():
    pattern = re.compile(NOT_BLANK)
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        if 0xD800 <= point <= 0xDFFF:
            continue
        expected = bool(char.strip()) and char != "\x00"
        assert bool(pattern.search(char)) is expected, f"U+{point:04X}"
        assert bool(pattern.search(f"a{char}")) is (char != "\x00"), f"U+{point:04X}"


def test_the_pattern_names_its_characters_instead_of_an_engine_dependent_class():
    """\\s and \\S mean different sets to Python's re, hypothesis (which schemathesis uses to
    generate) and JavaScript: the pattern spells the set out."""
    assert "\\s" not in NOT_BLANK
    assert "\\S" not in NOT_BLANK

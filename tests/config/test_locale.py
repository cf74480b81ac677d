"""One catalogue for the whole project: locale/, with the .mo files committed and current."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["ko", "zh_Hans"]


def test_the_project_has_one_locale_directory():
    assert [Path(p) for p in settings.LOCALE_PATHS] == [ROOT / "locale"]
    app_catalogues = [p for p in ROOT.glob("*/locale") if not p.parent.name.startswith(".")]
    assert app_catalogues == []


def _gettext(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.mark.skipif(
    shutil.which("msgfmt") is None or shutil.which("msgunfmt") is None,
    reason="needs gettext's msgfmt and msgunfmt",
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(language, tmp_path):
    messages = ROOT / "locale" / language / "LC_MESSAGES"
    fresh = tmp_path / "django.mo"
    _gettext("msgfmt", "--check-format", "-o", str(fresh), str(messages / "django.po"))
    # Compared as the messages they hold (msgunfmt sorts them), not byte for byte.
    committed = _gettext("msgunfmt", str(messages / "django.mo"))
    assert committed == _gettext("msgunfmt", str(fresh)), "run `make messages`"

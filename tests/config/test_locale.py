"""One catalogue for the whole project: locale/, with the .mo files committed and current."""

import gettext
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


def _catalog(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(language, tmp_path):
    messages = ROOT / "locale" / language / "LC_MESSAGES"
    fresh = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh), str(messages / "django.po")],
        check=True,
        timeout=60,
    )
    assert _catalog(messages / "django.mo") == _catalog(fresh), "run `make messages`"

"""The French and English catalogues translate every string the code and templates show."""

import pathlib
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_ngettext:1,2", "--no-location", "-o", str(pot), "."],
        check=True, cwd=ROOT,
    )
    with pot.open("rb") as f:
        return {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(f) if message.id}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_catalogue_is_complete(extracted, language):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated[key] = all(strings) and not message.fuzzy
    missing = sorted(key for key in extracted if not translated.get(key))
    assert not missing, f"{len(missing)} strings without a {language} translation, e.g. {missing[:5]}"


def test_every_template_is_extracted(extracted):
    """A template the extractor cannot parse (say, a Jinja extension missing from babel.cfg) is skipped with a mere
    warning, and its strings silently leave the catalogues: every simple ``_('...')`` of every template must be
    among the extracted strings."""
    import re

    literal = re.compile(r"""\b_\(\s*'((?:[^'\\]|\\.)*)'\s*[,)]""")
    missing = []
    for template in sorted((ROOT / "app").glob("**/templates/**/*.html")):
        for text in literal.findall(template.read_text(encoding="utf-8")):
            text = text.replace("\\'", "'")
            if text not in extracted:
                missing.append(f"{template.relative_to(ROOT)}: {text}")
    assert not missing, f"{len(missing)} template strings not extracted, e.g. {missing[:5]}"


def test_french_punctuation_keeps_to_its_word():
    """French typography: a non-breaking space before ":" and inside « », a narrow one before ";", "!" and "?",
    so that no line of a page starts with a colon or a question mark."""
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    loose = [text for message in catalogue if message.id
             for text in (message.string if isinstance(message.string, tuple) else (message.string,))
             if text and any(bad in text for bad in (" :", " ;", " !", " ?", "« ", " »"))]
    assert loose == []

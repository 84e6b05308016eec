"""Report labels in the report's language: a view of :mod:`salesperf.glossary`, the one
glossary every output reads. KPI and people names are shown as given."""

from __future__ import annotations

from salesperf.glossary import LOCALES, WORDS, level_word

#: Every plain (unprefixed) glossary entry, per locale: the ``labels`` of the view model.
LABELS: dict[str, dict[str, str]] = {
    locale: {k: pair[i] for k, pair in WORDS.items() if "." not in k}
    for i, locale in enumerate(LOCALES)
}


def labels(locale: str) -> dict[str, str]:
    return LABELS.get(locale, LABELS["en"])


def level_name(level: str, locale: str) -> str:
    return level_word(level, locale)

"""Plain-language guidance on getting a second opinion, from the seed article.

The structure lives here (the sections, their order, the law one of them states); the words are
data, one file per language (`data/text/<language>/guide.yaml`). No streamlit. Two rules from the
reference notes are kept in those words and tested:
- NCI Basic Laboratory cancer centers do research only and do not see patients: they are
  never suggested for a second opinion.
- The number of NCI-designated centers changes: it is never written down here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from coverage.statements import say
from coverage.text import catalogue
from coverage.text import say as words

NCI_FIND_A_CENTER_URL = "https://www.cancer.gov/research/infrastructure/cancer-centers/find"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    points: tuple[str, ...]
    closing: str = ""
    law: str = ""  # a statement of law (data/rules/statements) said before the closing words
    language: str = "en"

    @property
    def outro(self) -> str:
        """The closing words; a statement of law is rendered from the law data, today."""
        if not self.law:
            return self.closing
        from secondlook import service

        said = say(service.lawbook(), self.law, service.today(), lang=self.language, as_law=False)
        return f"{said.text}. {self.closing}" if said else self.closing


# The sections in order, and the statement of law a section states before its closing words.
_ORDER: tuple[tuple[str, str], ...] = (
    ("when", ""),
    ("ask", ""),
    ("where", ""),
    ("telehealth", ""),
    ("records", "hipaa.patient_guide"),
    ("worries", ""),
)


def _section(key: str, law: str, language: str) -> Section:
    messages = catalogue(language)
    prefix = f"guide.{key}."

    def text(name: str) -> str:
        return messages.get(prefix + name, "")

    points = sorted(k for k in messages if k.startswith(prefix + "points."))
    return Section(
        key,
        text("title"),
        text("intro"),
        tuple(messages[k] for k in points),
        text("closing"),
        law,
        language,
    )


@lru_cache(maxsize=8)
def sections(language: str = "en") -> tuple[Section, ...]:
    return tuple(_section(key, law, language) for key, law in _ORDER)


def ask_script(language: str = "en") -> str:
    """What to say to your cancer doctor."""
    return words("guide.ask_script", language)


def guidance_texts(language: str = "en") -> list[str]:
    texts = [ask_script(language)]
    for section in sections(language):
        texts += [section.title, section.intro, *section.points, section.outro]
    return [t for t in texts if t]

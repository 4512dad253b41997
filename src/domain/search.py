"""Searching the archive: how text and queries are normalized, what matches, what is indexed,
and the snippet shown with a hit. Pure functions; storage adapters index and match with them.

A query word matches a text when the word, normalized, is a substring of the text, normalized.
Substring matching is what makes Korean work without a morphological analyzer: the particles and
endings are glued to the word (`개발자` inside "개발자예요", "개발자가"), so the word is always a
substring of the inflected form. docs/search.md has the measurements behind this choice.

- Normalization: NFKC (full-width forms, compatibility characters, and NFD Hangul composed),
  then casefold.
- English word forms: a query word loses a plural or verb suffix (`developers` -> `developer`,
  `studies` -> `studi`, `working` -> `work`), and what remains is always a prefix of the word
  written, so a substring match finds the other forms too; a stem ending in a consonant and y
  or i matches with either letter (`study`, `studi`). Stored text is never stemmed.
- Short English words: a word of one or two ASCII letters or digits (`ai`, `ux`, `pm`, `c`) is
  matched as a whole word (its plural `s` allowed): as a substring it is inside too many others
  (`ai` in "said", `ui` in "build"). It may touch any other character (`ai로`, `생성형ai`).
- Index: the bigrams and the ASCII trigrams of each run of letters and digits (a run of one
  character: itself), and a term of its own for each short English word held whole (`=ai`).
  Every term of a query word (`query_terms`) occurs in any text it matches, so the index finds
  every candidate, and the check on the text removes the false ones.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

QUERY_MAX = 200  # characters of `q`, `from` or `to`, before normalization
WORDS_MAX = 8  # words a query may hold; more is refused rather than slowly matched
SNIPPET_LENGTH = 160


class QueryTooLong(ValueError):
    """More text or words than a search takes."""


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


# A run of letters and digits: what str.isalnum() accepts (\w is those and "_").
_RUN = re.compile(r"[^\W_]+")


def _runs(normalized: str) -> list[str]:
    """The runs of letters and digits (what a word is made of, in any script)."""
    return _RUN.findall(normalized)


_VOWELS = frozenset("aeiou")


def stem(word: str) -> str:
    """A light English stemmer for query words: the result is a prefix of `word`. Words in
    other scripts are left as they are."""
    if not word.isascii() or not word.isalpha() or len(word) < 4:
        return word
    for suffix, keep in (("ies", 3), ("ing", 3), ("ed", 3), ("es", 3), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            base = word[: -len(suffix)]
            if suffix == "ies":
                return word[:-2]  # studies -> studi (studied, studies)
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not base.endswith(("s", "x", "z", "ch", "sh")):
                return word[:-1]  # notes -> note
            if suffix in ("ing", "ed") and not (_VOWELS & set(base)):
                return word  # sing, bed: no stem left
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2]:
                return base[:-1]  # running -> run, planned -> plan
            return base
    return word


def forms(word: str) -> tuple[str, ...]:
    """The spellings a query word matches as, the first being the word: an English word whose
    stem ends in a consonant and y or i also matches with the other letter (`study` and
    `studi`, so `study` finds "studies" and "studied", and `studies` finds "study"), as its
    plural and past forms spell it; "student" holds neither."""
    if len(word) >= 4 and word.isascii() and word.isalpha() and word[-2] not in _VOWELS:
        if word[-1] == "y":
            return (word, word[:-1] + "i")
        if word[-1] == "i":
            return (word, word[:-1] + "y")
    return (word,)


WHOLE_WORD_MAX = 2  # characters of an ASCII word matched as a whole word only


def whole_word(word: str) -> bool:
    """Whether a query word (normalized) matches only as a whole word."""
    return len(word) <= WHOLE_WORD_MAX and word.isascii()


def word_pattern(word: str) -> str:
    """A whole word's regular expression over normalized text, the same in Python, PostgreSQL
    (`~`) and SQLite (Django's REGEXP); the boundaries are lookarounds, so a match is the word
    alone, as it is marked. A query word is letters and digits only: nothing in it is an
    operator."""
    return f"(?<![a-z0-9]){word}s?(?![a-z0-9])"


@cache
def _whole(word: str) -> re.Pattern[str]:
    return re.compile(word_pattern(word))


def occurs(word: str, folded: str) -> bool:
    """Whether a query word occurs in a normalized text."""
    return _whole(word).search(folded) is not None if whole_word(word) else word in folded


def common_part(word: str) -> str:
    """What every spelling of `word` holds (`stud` of `study`/`studi`): its index terms are in
    any text that matches it."""
    spellings = forms(word)
    return word if len(spellings) == 1 else word[:-1]


def query_words(text: str) -> tuple[str, ...]:
    """The distinct words of a query, normalized and stemmed, longest first (the rarest, most
    selective, usually). Raise QueryTooLong past QUERY_MAX characters or WORDS_MAX words."""
    if len(text) > QUERY_MAX:
        raise QueryTooLong(f"A search takes at most {QUERY_MAX} characters.")
    words = dict.fromkeys(stem(w) for w in _runs(normalize(text)))
    if len(words) > WORDS_MAX:
        raise QueryTooLong(f"A search takes at most {WORDS_MAX} words.")
    return tuple(sorted(words, key=len, reverse=True))


def grams(word: str) -> list[str]:
    """The index terms of one run of letters and digits, or of a query word: its bigrams and
    its trigrams of ASCII characters (English bigrams such as `co` or `er` are in most texts,
    too common to narrow a lookup; Korean syllables are not), or itself when it is one
    character. The terms of a word are terms of any run holding it."""
    if len(word) == 1:
        return [word]
    terms = [word[i : i + 2] for i in range(len(word) - 1)]
    if word.isascii():
        terms += [word[i : i + 3] for i in range(len(word) - 2)]
    else:
        terms += [t for i in range(len(word) - 2) if (t := word[i : i + 3]).isascii()]
    return terms


# A stretch of ASCII letters and digits: what a whole word's boundaries (word_pattern) delimit.
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Marks the index term of a short word held whole (`=ai`): no gram has it.
WHOLE = "="


def _whole_terms(normalized: str) -> set[str]:
    """The terms of the short words a normalized text holds whole: `=ai` for "ai", and for
    "ais" too (the plural a whole word's match allows)."""
    terms: set[str] = set()
    for word in set(_ASCII_WORD.findall(normalized)):
        if len(word) <= WHOLE_WORD_MAX:
            terms.add(WHOLE + word)
        if 2 <= len(word) <= WHOLE_WORD_MAX + 1 and word[-1] == "s":
            terms.add(WHOLE + word[:-1])
    return terms


def index_terms(text: str) -> list[str]:
    """The distinct index terms of a text (normalized here), in no particular order: the grams
    of its runs and its short words held whole. Each distinct run once: words repeat, and their
    terms were most of the time (0.7 against 1.1 ms for a body of 1,100 characters)."""
    normalized = normalize(text)
    terms = _whole_terms(normalized)
    for run in set(_runs(normalized)):
        terms.update(grams(run))
    return list(terms)


def query_terms(word: str) -> list[str]:
    """The index terms any text matching a query word holds (none: the word is checked on the
    text alone): a whole word's own term, else the word's grams when it has two characters or
    more. The grams of `ai` are in "said"; its term `=ai` only where it stands alone."""
    if whole_word(word):
        return [WHOLE + word]
    return grams(word) if len(word) > 1 else []


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to look for: every word of `words` somewhere in the chat, of `from_words` in its
    current-state answer, of `to_words` in its goal. Empty: no search, the plain list."""

    words: tuple[str, ...] = ()
    from_words: tuple[str, ...] = ()
    to_words: tuple[str, ...] = ()
    # A query that was asked but holds no word (only punctuation): it matches nothing.
    nothing: bool = field(default=False)

    @classmethod
    def parse(cls, q: str | None, from_: str | None = None, to: str | None = None) -> "SearchQuery":
        texts = [t or "" for t in (q, from_, to)]
        words, from_words, to_words = (query_words(t) for t in texts)
        asked = any(t.strip() for t in texts)
        return cls(words, from_words, to_words, asked and not (words or from_words or to_words))

    @property
    def empty(self) -> bool:
        return not (self.words or self.from_words or self.to_words or self.nothing)

    @property
    def all_words(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.words, *self.from_words, *self.to_words)))

    @property
    def all_forms(self) -> tuple[str, ...]:
        """Every spelling of every word: what a snippet marks."""
        return tuple(dict.fromkeys(f for w in self.all_words for f in forms(w)))


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]


def _folded(text: str) -> tuple[str, list[int] | None]:
    """`text` normalized, with the index in `text` of each character of the result (so a match
    in the normalized text maps back to the text); None: the same index (the usual case, where
    each character folds to one character: 2 ms of a result page went to folding them one by
    one)."""
    folded = normalize(text)
    if len(folded) == len(text) and unicodedata.is_normalized("NFKC", text):
        # NFKC left the text as it was, and casefold (which never drops a character) gave
        # every character one: position i is the text's own i.
        return folded, None
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        n = normalize(ch)
        out.append(n)
        origin.extend([i] * len(n))
    return "".join(out), origin


def _matches(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """The [start, end) ranges of `text` where a word occurs (normalized), merged."""
    folded, origin = _folded(text)
    found: list[tuple[int, int]] = []
    spans: list[tuple[int, int]] = []
    for word in words:
        if whole_word(word):
            spans += [m.span() for m in _whole(word).finditer(folded)]
            continue
        at = folded.find(word)
        while at != -1:
            spans.append((at, at + len(word)))
            at = folded.find(word, at + len(word))
    for at, end in spans:
        found.append((at, end) if origin is None else (origin[at], origin[end - 1] + 1))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(sources: Sequence[str], words: Sequence[str], length: int = SNIPPET_LENGTH) -> Snippet:
    """The part of the best source (the one holding the most distinct words; the first of
    equals) around its first match, at most `length` characters, with the matches in it."""
    best, best_text, best_found = -1, "", 0
    for i, source in enumerate(sources):
        text = unicodedata.normalize("NFC", source)
        folded = normalize(text)
        found = sum(1 for w in words if occurs(w, folded))
        if found > best_found or best == -1:
            best, best_text, best_found = i, text, found
            if found == len(words):  # no later source can hold more, and the first wins
                break
    text = " ".join(best_text.split())  # one line: newlines and runs of spaces as one space
    ranges = _matches(text, words)
    if len(text) <= length:
        return Snippet(text, tuple(ranges))
    first = ranges[0][0] if ranges else 0
    start = max(0, min(first - length // 4, len(text) - length))
    # Cut at a space near the ends when there is one, so no word is cut in two.
    if start > 0:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start + length // 2, end)
        end = space if space != -1 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    inside = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in ranges if s < end and e > start
    )
    return Snippet(prefix + text[start:end] + suffix, inside)

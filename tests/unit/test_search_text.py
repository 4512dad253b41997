"""domain.search: what a query word matches, what is indexed and the snippet around a match."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.search import (
    QueryTooLong,
    SearchQuery,
    _runs,
    common_part,
    forms,
    grams,
    index_terms,
    normalize,
    occurs,
    query_terms,
    query_words,
    snippet,
    stem,
)


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("developers", "developer"),
        ("developer", "developer"),
        ("studies", "studi"),
        ("working", "work"),
        ("planned", "plan"),
        ("boxes", "box"),
        ("notes", "note"),
        ("class", "class"),
        ("status", "status"),
        ("string", "string"),
        ("개발자가", "개발자가"),
    ],
)
def test_stems_are_prefixes_of_the_word(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed
    assert word.startswith(stemmed)


@pytest.mark.parametrize(
    ("word", "spelled"),
    [
        ("study", ("study", "studi")),  # studies, studied
        ("studi", ("studi", "study")),  # what `studies` and `studied` stem to
        ("city", ("city", "citi")),
        ("play", ("play",)),  # a vowel before the y: plays, played
        ("try", ("try",)),  # too short to tell
        ("developer", ("developer",)),
        ("팀장", ("팀장",)),
    ],
)
def test_a_consonant_and_y_or_i_match_either_way(word: str, spelled: tuple[str, ...]) -> None:
    assert forms(word) == spelled
    # Every spelling holds the common part, so its index terms find them all.
    assert all(f.startswith(common_part(word)) for f in spelled)


def test_normalization_folds_case_width_and_composition() -> None:
    nfd = unicodedata.normalize("NFD", "개발자")
    assert normalize(nfd) == normalize("개발자") == "개발자"
    assert normalize("ＤＥＶ") == "dev"


def test_query_words_split_on_anything_but_letters_and_digits() -> None:
    assert query_words('"팀장"* & !개발자') == ("개발자", "팀장")
    assert query_words("&|!*%_\\") == ()
    with pytest.raises(QueryTooLong):
        query_words("x" * 201)
    with pytest.raises(QueryTooLong):
        query_words("a b c d e f g h i")


def test_a_query_of_punctuation_alone_matches_nothing_and_a_blank_one_is_no_search() -> None:
    assert SearchQuery.parse("!!!").nothing
    assert not SearchQuery.parse("!!!").empty
    assert SearchQuery.parse("  ", None, "").empty


@given(st.text(alphabet="개발자팀장이되고 abcxyzé1_-.", min_size=2, max_size=40))
def test_every_term_of_a_word_is_indexed_in_a_text_holding_it(text: str) -> None:
    # Any word a text holds is a part of one of its runs of letters and digits: the index
    # finds the text by that word's terms, bigrams and ASCII trigrams alike.
    terms = set(index_terms(text))
    folded = normalize(text)
    for start in range(len(folded)):
        for end in range(start + 2, len(folded) + 1):
            word = folded[start:end]
            if all(ch.isalnum() for ch in word):
                assert set(grams(word)) <= terms, word


@given(
    st.text(alphabet="개발자 aisxyzé1_-.AIＡ", max_size=40),
    st.sampled_from(["ai", "a", "s", "x", "1", "is", "xy"]),
)
def test_a_text_holding_a_short_word_whole_has_its_term(text: str, word: str) -> None:
    # The index finds every text a short word matches by its own term, and only those: the
    # terms follow the same boundaries as the match (a plural `s` included).
    assert (query_terms(word)[0] in index_terms(text)) is occurs(word, normalize(text))


def test_english_words_are_indexed_by_trigrams_too() -> None:
    assert grams("compiler") == [
        "co", "om", "mp", "pi", "il", "le", "er",
        "com", "omp", "mpi", "pil", "ile", "ler",
    ]  # fmt: skip
    assert grams("팀장이") == ["팀장", "장이"]  # Korean syllables are selective as bigrams
    assert grams("react로") == ["re", "ea", "ac", "ct", "t로", "rea", "eac", "act"]
    assert grams("x") == ["x"]


@given(st.text(max_size=60))
def test_runs_are_the_longest_stretches_of_letters_and_digits(text: str) -> None:
    runs, run = [], ""
    for ch in text:
        if ch.isalnum():
            run += ch
        elif run:
            runs.append(run)
            run = ""
    if run:
        runs.append(run)
    assert _runs(text) == runs


def test_snippet_marks_every_match_in_the_best_source() -> None:
    found = snippet(["제목", "주니어 개발자예요. 백엔드 개발자가 되어", "팀장"], ("개발자",))
    assert found.text == "주니어 개발자예요. 백엔드 개발자가 되어"
    assert [found.text[s:e] for s, e in found.highlights] == ["개발자", "개발자"]


_PIECES = st.sampled_from(["개발자", "팀장", "AI", "said", " ", "가"])


@given(
    st.lists(st.lists(_PIECES, max_size=5).map("".join), min_size=1, max_size=6),
    st.lists(st.sampled_from(["개발자", "팀장", "ai"]), min_size=1, max_size=3, unique=True),
)
def test_the_snippet_comes_from_the_first_source_holding_the_most_words(
    sources: list[str], words: list[str]
) -> None:
    held = [sum(occurs(w, normalize(s)) for w in words) for s in sources]
    best = sources[held.index(max(held))]
    assert snippet(sources, words, length=1000).text == " ".join(best.split())


def test_a_long_source_is_cut_around_the_match() -> None:
    text = "word " * 100 + "target here " + "word " * 100
    found = snippet([text], ("target",), length=60)
    assert len(found.text) <= 62
    assert found.text.startswith("…")
    assert found.text.endswith("…")
    assert [found.text[s:e] for s, e in found.highlights] == ["target"]


def test_highlights_map_back_through_full_width_and_decomposed_text() -> None:
    nfd = unicodedata.normalize("NFD", "나는 개발자")
    found = snippet([f"ＤＥＶＥＬＯＰＥＲ {nfd}"], ("developer", "개발자"))
    assert [found.text[s:e] for s, e in found.highlights] == ["ＤＥＶＥＬＯＰＥＲ", "개발자"]


@given(
    st.text(alphabet="개발자팀장 DevEloperß\u0301ﬁＤ", max_size=60),
    st.sampled_from(["개발자", "developer", "ss", "fi", "d", "팀장"]),
)
def test_highlights_are_the_matches_whatever_the_text_folds_to(text: str, word: str) -> None:
    # Most text folds one character to one (read without a per-character map); ß, ﬁ and
    # combining marks do not. Either way each range is a match and every match is marked.
    # (`ss`, `fi` and `d` are short English words, matched whole.)
    found = snippet([text], (word,), length=1000)
    for start, end in found.highlights:
        assert occurs(word, normalize(found.text[start:end]))
    unmarked = "".join(
        "\n" if any(s <= i < e for s, e in found.highlights) else ch
        for i, ch in enumerate(found.text)
    )
    assert not any(occurs(word, normalize(part)) for part in unmarked.split("\n"))


@pytest.mark.parametrize(
    ("text", "word", "found"),
    [
        ("AI 엔지니어가 되고 싶어요", "ai", True),
        ("생성형AI로 전직", "ai", True),  # Korean on either side is not part of the word
        ("Working with AI-powered tools", "ai", True),
        ("He said it again", "ai", False),
        ("Build a UI kit", "ui", True),
        ("I build things", "ui", False),
        ("Our PMs meet daily", "pm", True),  # the plural
        ("Writing C and Rust", "c", True),
        ("Writing code", "c", False),
        ("5G rollout", "5g", True),
        ("html and xml", "ml", False),
    ],
)
def test_a_short_english_word_matches_as_a_whole_word(text: str, word: str, found: bool) -> None:
    # (occurs reads the pattern the databases are given: tests/integration checks them.)
    assert occurs(word, normalize(text)) is found
    marked = snippet([text], (word,))
    assert bool(marked.highlights) is found
    assert all(normalize(marked.text[s:e]).startswith(word) for s, e in marked.highlights)


def test_longer_and_korean_words_still_match_inside_words() -> None:
    assert occurs("act", normalize("React developer"))
    assert occurs("팀", normalize("팀장이 되고 싶어요"))

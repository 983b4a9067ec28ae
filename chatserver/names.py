"""Names people read and type (user names, e-mails, room names): one form each, no invisible tricks."""

from __future__ import annotations

import re
import unicodedata

# Control, format (bidi overrides and isolates, zero-width spaces and joiners, BOM), surrogate,
# private-use and line/paragraph separator characters: nothing a name needs, all of them ways to
# make one name look like another or to reorder the text around it.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Scripts whose letters look alike (Latin a, Cyrillic а, Greek α): one word may use one of them.
CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
_WORD = re.compile(r"[^\W\d_]+")


class BadName(ValueError):
    """A name holds a character or a mix of scripts that is refused; the message says which."""


def normal(text: str) -> str:
    """text in Unicode NFKC, refused (BadName) if it holds a control, format or invisible character."""
    text = unicodedata.normalize("NFKC", text)
    for char in text:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            raise BadName(f"Must not contain the invisible or control character U+{ord(char):04X}.")
    return text


def check_scripts(text: str, where: str = "word") -> None:
    """Refuse (BadName) a word of text that mixes Latin, Cyrillic or Greek letters."""
    for word in _WORD.findall(text):
        scripts = {_script(char) for char in word} & CONFUSABLE_SCRIPTS
        if len(scripts) > 1:
            raise BadName(f"A {where} must not mix {' and '.join(sorted(s.title() for s in scripts))} letters.")


def email_form(email: str) -> str:
    """How an e-mail address is stored and shown: NFKC, lower case."""
    return unicodedata.normalize("NFKC", email).lower()


def email_key(email: str) -> str:
    """What makes two e-mail addresses the same: NFKC and full Unicode case folding."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


def room_key(name: str) -> str:
    """What makes two room names the same: also ignoring accents (General, GÉNÉRAL, ＧＥＮＥＲＡＬ)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", bare).casefold()


def _script(char: str) -> str:
    return unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]


class _Folds(dict[int, str]):
    """Each code point's search form, computed once: NFKC, full case folding, Latin-style accents dropped."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).casefold())
        bare = "".join(char for char in decomposed if not 0x300 <= ord(char) <= 0x36F)
        self[code] = folded = unicodedata.normalize("NFKC", bare).casefold()
        return folded


_FOLDS = _Folds()
# Scripts written without spaces between words: CJK, kana, Thai, Lao, Khmer, Myanmar.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
                       "\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def search_key(text: str) -> str:
    """Text as search indexes and matches it: each character folded alone (café, CAFE, ｃａｆｅ are cafe)."""
    return text.lower() if text.isascii() else text.translate(_FOLDS)


def search_key_map(text: str) -> tuple[str, list[int]]:
    """search_key(text), and for each of its characters the index of the character of text it came from."""
    pieces = [_FOLDS[ord(char)] for char in text]
    return "".join(pieces), [i for i, piece in enumerate(pieces) for _ in piece]


def unspaced(text: str) -> bool:
    """Whether text holds a letter of a script written without spaces (matched by substrings)."""
    return _UNSPACED.search(text) is not None


def substring_term(key: str) -> bool:
    """Whether a search term (its search_key) matches as a substring: 3+ characters, a script without spaces."""
    return len(key) >= 3 and unspaced(key)

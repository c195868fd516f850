"""Language data for the offline mode of ``translate.py``: detection hints and a tiny glossary.

This is a helper module (its name starts with ``_``), not a tool. Everything
here is plain data plus two pure functions, so it is easy to test and to
extend: add a row to ``GLOSSARY`` to teach the offline translator a word.
"""

from __future__ import annotations

import re


def _word_set(text: str) -> frozenset[str]:
    """A set of the whitespace-separated words in ``text`` (keeps long word lists readable)."""
    return frozenset(text.split())


LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
}
CODES = tuple(LANGUAGES)

# The most frequent function words of each language. A word shared by several
# languages ("de", "la", "que") counts for each of them, but less (see detect()).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        "the and is are was were of to in that it with for this you not have has be an on at by from "
        "they we he she what which there their would will can i my your our"
    ),
    "es": _word_set(
        "el la los las y es son en que de un una por con para del al lo se no muy pero como más está "
        "están yo tú usted nosotros ellos su sus hay también porque cuando esta este"
    ),
    "fr": _word_set(
        "le la les et est sont en que de un une pour avec pas ne je tu vous nous il elle ils du des "
        "au aux ce cette très mais sur dans qui où être avoir"
    ),
    "de": _word_set(
        "der die das und ist sind nicht ein eine zu mit ich du wir sie es auf für den dem des im "
        "sehr aber auch wie von bei nach oder wenn kein haben sein"
    ),
    "it": _word_set(
        "il lo la gli le e è sono di che un una per con non io tu noi voi del della dei delle molto "
        "ma come più anche questo questa nel alla sul perché"
    ),
    "pt": _word_set(
        "o a os as e é são em que de um uma por com para do da dos das não eu você nós muito mas "
        "como mais também este esta isso no na ao"
    ),
}

# Letters that (among these six languages) point strongly at one language.
CHARACTERS: dict[str, str] = {
    "en": "",
    "es": "ñ¿¡",
    "fr": "çœèêëîâû",
    "de": "ßäöü",
    "it": "ìò",
    "pt": "ãõ",
}

# One row per meaning, columns in CODES order (en, es, fr, de, it, pt).
GLOSSARY: list[tuple[str, str, str, str, str, str]] = [
    ("hello", "hola", "bonjour", "hallo", "ciao", "olá"),
    ("goodbye", "adiós", "revoir", "tschüss", "arrivederci", "adeus"),
    ("thanks", "gracias", "merci", "danke", "grazie", "obrigado"),
    ("please", "favor", "plaît", "bitte", "prego", "favor"),
    ("yes", "sí", "oui", "ja", "sì", "sim"),
    ("no", "no", "non", "nein", "no", "não"),
    ("good", "bueno", "bon", "gut", "buono", "bom"),
    ("bad", "malo", "mauvais", "schlecht", "cattivo", "mau"),
    ("morning", "mañana", "matin", "morgen", "mattina", "manhã"),
    ("night", "noche", "nuit", "nacht", "notte", "noite"),
    ("day", "día", "jour", "tag", "giorno", "dia"),
    ("friend", "amigo", "ami", "freund", "amico", "amigo"),
    ("house", "casa", "maison", "haus", "casa", "casa"),
    ("water", "agua", "eau", "wasser", "acqua", "água"),
    ("food", "comida", "nourriture", "essen", "cibo", "comida"),
    ("book", "libro", "livre", "buch", "libro", "livro"),
    ("cat", "gato", "chat", "katze", "gatto", "gato"),
    ("dog", "perro", "chien", "hund", "cane", "cão"),
    ("city", "ciudad", "ville", "stadt", "città", "cidade"),
    ("world", "mundo", "monde", "welt", "mondo", "mundo"),
    ("love", "amor", "amour", "liebe", "amore", "amor"),
    ("time", "tiempo", "temps", "zeit", "tempo", "tempo"),
    ("the", "el", "le", "der", "il", "o"),
    ("the", "la", "la", "die", "la", "a"),
    ("the", "los", "les", "das", "gli", "os"),
    ("in", "en", "dans", "in", "in", "em"),
    ("in", "en", "en", "im", "nella", "na"),
    ("is", "está", "est", "ist", "è", "está"),
    ("and", "y", "et", "und", "e", "e"),
    ("is", "es", "est", "ist", "è", "é"),
    ("very", "muy", "très", "sehr", "molto", "muito"),
    ("i", "yo", "je", "ich", "io", "eu"),
    ("you", "tú", "tu", "du", "tu", "você"),
    ("we", "nosotros", "nous", "wir", "noi", "nós"),
    ("my", "mi", "mon", "mein", "mio", "meu"),
    ("have", "tengo", "ai", "habe", "ho", "tenho"),
    ("big", "grande", "grand", "groß", "grande", "grande"),
    ("small", "pequeño", "petit", "klein", "piccolo", "pequeno"),
    ("new", "nuevo", "nouveau", "neu", "nuovo", "novo"),
    ("one", "uno", "un", "eins", "uno", "um"),
    ("two", "dos", "deux", "zwei", "due", "dois"),
    ("three", "tres", "trois", "drei", "tre", "três"),
    ("today", "hoy", "aujourd'hui", "heute", "oggi", "hoje"),
    ("where", "dónde", "où", "wo", "dove", "onde"),
    ("beautiful", "hermoso", "beau", "schön", "bello", "bonito"),
]

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# word -> row, per language (the first row wins when a word appears twice)
_INDEX: dict[str, dict[str, int]] = {
    code: {row[col]: i for i, row in reversed(list(enumerate(GLOSSARY)))} for col, code in enumerate(CODES)
}

# what detect() recognizes: the stopwords plus the glossary words of each language
_VOCABULARY: dict[str, frozenset[str]] = {code: STOPWORDS[code] | set(_INDEX[code]) for code in CODES}


def detect(text: str) -> tuple[str | None, float]:
    """Guess the language of ``text``: ``(code, confidence)`` or ``(None, 0.0)`` without any clue.

    Each stopword or glossary word found scores ``1 / n`` for each of the ``n`` languages that
    use it, each telltale letter (ñ, ß, ç, ...) scores 1 for its language.
    The confidence is the winner's share of all points.
    """
    lowered = text.lower()
    points = dict.fromkeys(CODES, 0.0)
    for word in _WORD.findall(lowered):
        owners = [code for code in CODES if word in _VOCABULARY[code]]
        for code in owners:
            points[code] += 1 / len(owners)
    for code, letters in CHARACTERS.items():
        points[code] += sum(lowered.count(ch) for ch in letters)
    total = sum(points.values())
    if total == 0:
        return None, 0.0
    best = max(CODES, key=lambda code: points[code])
    return best, round(points[best] / total, 2)


def translate_words(text: str, source: str, target: str) -> tuple[str, list[str]]:
    """Word-by-word glossary translation; returns the text and the words it could not translate.

    Unknown words are kept as they are; capitalization of each word is kept.
    """
    src, col = _INDEX[source], CODES.index(target)
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        row = src.get(word.lower())
        if row is None:
            missing.append(word)
            return word
        return _same_case(word, GLOSSARY[row][col])

    return _WORD.sub(replace, text), missing


def _same_case(original: str, word: str) -> str:
    if len(original) > 1 and original.isupper():
        return word.upper()
    if original[0].isupper():
        return word[:1].upper() + word[1:]
    return word

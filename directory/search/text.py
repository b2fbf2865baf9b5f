"""Words as the search sees them, the same in Python for every database.

Text is folded (lower case, accents and circumflexes dropped: "Grŵp" is
"grwp", so a reader without a Welsh keyboard finds it), cut into words of
letters and digits, and English words are stemmed with the Snowball English
stemmer, the one PostgreSQL's `english` configuration uses ("gardening",
"gardens" and "garden" are all "garden"). Welsh has no stemmer anywhere; its
words are kept as folded, and the need words of each category, the category
names and the spelling correction (`similarity`, the pg_trgm measure) carry
what a stemmer would.
"""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Letters and digits of any script; "_" is a word character to `re` but not to us.
_WORD = re.compile(r"[^\W_]+")


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


ENGLISH_STOP_WORDS = _listed(
    """
    a about after all also am an and any are as at be been but by can could do does for from
    had has have how i if in into is it its just me my no not of off on or our out over s so
    some t than that the their them then there these they this those to too up us very was
    we were what when where which who why will with would you your
    """
)
WELSH_STOP_WORDS = _listed(
    """
    a ac ag am ar at beth ble bod bydd chi dan dros dw e ef ei eich ein eu fe fi fy gan gen
    hefyd hi hwn hyn i iawn mae mewn na nad neu nhw ni nid o oes ond os pa pam pan r rwy sut
    sy sydd the trwy un wedi wrth y ych ydw ydy yn yng yr
    """
)
STOP_WORDS = ENGLISH_STOP_WORDS | WELSH_STOP_WORDS

# Words people add to a search that say little about what they want ("help with debt",
# "groups for men", "cymorth profedigaeth"): a service need not match them, but one that
# does comes higher. A search of nothing but these must match them.
FILLER_WORDS = _listed(
    """
    activities activity advice area class classes club clubs day days feel feeling find free
    group groups help local looking near nearby need needs people place places service
    services session sessions someone something somewhere support things want week
    agos angen cefnogaeth chwilio clwb clybiau cymorth ddim dosbarth dosbarthiadau eisiau ger
    grwp grwpiau gwasanaeth gwasanaethau lleol pobl sesiwn sesiynau teimlo
    """
)

# A vocabulary word (for spelling correction) has at least this many letters.
MIN_VOCABULARY_LENGTH = 3

_english = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower case without accents: "Côr Cymunedol" -> "cor cymunedol"."""
    if text.isascii():
        # Nothing to decompose and no accent to drop (most names and descriptions).
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of a text, in order, stop words included."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The English stem of a folded word (Snowball, as PostgreSQL's `english` config)."""
    stemmed: str = _english.stemWord(word)
    return stemmed


def english_terms(text: str) -> list[tuple[str, str]]:
    """(word, indexed term) for each content word of English text: the term is its stem."""
    return [(word, stem(word)) for word in words(text) if word not in ENGLISH_STOP_WORDS]


def welsh_terms(text: str) -> list[tuple[str, str]]:
    """(word, indexed term) for each content word of Welsh text: the term is the word."""
    return [(word, word) for word in words(text) if word not in WELSH_STOP_WORDS]


def forms(word: str) -> frozenset[str]:
    """The index terms a folded query word may match: itself (Welsh) and its stem (English)."""
    return frozenset({word, stem(word)})


def is_filler(word: str) -> bool:
    return word in FILLER_WORDS or stem(word) in _FILLER_STEMS


_FILLER_STEMS = frozenset(stem(word) for word in FILLER_WORDS)


def in_vocabulary(word: str) -> bool:
    """Whether a word is worth offering as a spelling correction."""
    return len(word) >= MIN_VOCABULARY_LENGTH and not word.isdigit() and word not in STOP_WORDS


def trigrams(word: str) -> frozenset[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity of two words: shared trigrams over all their trigrams."""
    first, second = trigrams(a), trigrams(b)
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def edit_distance(a: str, b: str) -> int:
    """Letters inserted, deleted, changed or swapped with their neighbour to turn a into b
    (optimal string alignment: "lonley" is one swap from "lonely")."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            cost = 0 if letter == other else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and letter == b[j - 2] and a[i - 2] == other:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]

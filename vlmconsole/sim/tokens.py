"""A deterministic stand-in tokenizer and the filler the simulated model "generates".

Text splits into word pieces (an optional leading space and a run of word
characters, of punctuation, or of whitespace); each piece is cut into chunks of at
most five characters and each chunk is one token, about one token per four or five
characters of English. A chunk's id is a hash of its text, so the same text always
gives the same ids and a text that only grew gives a grown list of ids.

The ids mirror the real test model's vocabulary of 12,048: its special tokens
first, then text ids, then a range for generated tokens. Generated ids never equal
the ids the reply's text re-tokenizes to, as with the real test model's gibberish:
a conversation's prefix-cache hits end inside the previous prompt (measured there
too: 768, 1,664 and 2,688 cached tokens for previous prompts of 886, 1,787 and
2,689 tokens).
"""

from __future__ import annotations

import hashlib
import re

END_OF_TEXT = 0
IM_START = 1
FAKE_TOKEN_AROUND_IMAGE = 2
IMAGE = 3
END_OF_UTTERANCE = 4
"""The model's EOS token."""
GLOBAL_IMG = 5
_ROW_COL_BASE = 6
_ROW_COL_MAX = 6
TEXT_BASE = _ROW_COL_BASE + _ROW_COL_MAX * _ROW_COL_MAX
GENERATED_BASE = 10_000
VOCAB_SIZE = 12_048
CHUNK_CHARS = 5

_PIECE = re.compile(r" ?\w+| ?[^\s\w]+|\s+")

_WORDS = (
    "the screen shows a window with toolbar menu button panel list of items and "
    "sidebar dialog text field chart icon tab row column status bar open file "
    "editor terminal browser page link title image grid table label value"
).split()


def row_col_token(row: int, col: int) -> int:
    """Returns the id of `<row_{row}_col_{col}>` (1-based, up to 6 each)."""
    if not (1 <= row <= _ROW_COL_MAX and 1 <= col <= _ROW_COL_MAX):
        raise ValueError(f"no <row_{row}_col_{col}> token")
    return _ROW_COL_BASE + (row - 1) * _ROW_COL_MAX + (col - 1)


def _chunk_id(chunk: str) -> int:
    digest = hashlib.blake2b(chunk.encode(), digest_size=4).digest()
    return TEXT_BASE + int.from_bytes(digest, "big") % (GENERATED_BASE - TEXT_BASE)


def tokenize(text: str) -> list[int]:
    """Returns the token ids of plain text (no special tokens are recognised)."""
    ids: list[int] = []
    for piece in _PIECE.findall(text):
        for at in range(0, len(piece), CHUNK_CHARS):
            ids.append(_chunk_id(piece[at : at + CHUNK_CHARS]))
    return ids


NEWLINE = tokenize("\n")[0]


def reply_seed(token_ids: tuple[int, ...]) -> int:
    """Returns the seed of a prompt's reply: the same prompt, the same reply."""
    digest = hashlib.blake2b(repr(token_ids[-512:]).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") ^ len(token_ids)


def natural_length(seed: int) -> int:
    """Returns how many tokens the reply has (its EOS included) when EOS is honoured."""
    return 24 + seed % 97


def reply_token(seed: int, index: int) -> tuple[int, str]:
    """Returns the id and text of the reply's token number `index` (0-based).

    Words read like a caption; every twelfth token ends a sentence.
    """
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=4).digest()
    pick = int.from_bytes(digest, "big")
    if index % 12 == 11:
        return GENERATED_BASE, "."
    word = _WORDS[pick % len(_WORDS)]
    if index % 12 == 0:
        word = word.capitalize()
    text = word if index == 0 else " " + word
    return GENERATED_BASE + 1 + pick % (VOCAB_SIZE - GENERATED_BASE - 1), text

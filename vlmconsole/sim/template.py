"""The chat template: messages in, prompt token ids and image placeholder spans out.

It follows the real test model's template:
`<|im_start|>` then, per message, `Role: text` (`Role:` when the content starts
with an image), its parts in order with each image expanded to its placeholder
tokens, `<end_of_utterance>` and a newline; then `Assistant:` to prompt the reply.
Text runs between special tokens are tokenized on their own, so a conversation
that only grew gives a prompt that only grew.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vlmconsole.sim import tokens
from vlmconsole.sim.image_cost import TOKENS_PER_TILE, ImageInfo


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text inside a message."""

    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image inside a message, already decoded."""

    image: ImageInfo


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message; `parts` is None when the content was a plain string."""

    role: str
    text: str = ""
    parts: tuple[TextPart | ImagePart, ...] | None = None


@dataclass(frozen=True, slots=True)
class MmSpan:
    """Where one image's placeholder tokens sit in the prompt."""

    offset: int
    length: int
    identity: str
    tiles: int


@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered prompt: token ids and the images' spans, in order."""

    token_ids: tuple[int, ...]
    mm_spans: tuple[MmSpan, ...] = ()

    @property
    def image_tokens(self) -> int:
        """Returns the prompt tokens that belong to images."""
        return sum(span.length for span in self.mm_spans)


def placeholder_ids(rows: int, cols: int) -> list[int]:
    """Returns the token ids an image cut into rows x cols tiles expands to."""
    image_run = [tokens.IMAGE] * TOKENS_PER_TILE
    global_tile = [tokens.FAKE_TOKEN_AROUND_IMAGE, tokens.GLOBAL_IMG, *image_run]
    global_tile.append(tokens.FAKE_TOKEN_AROUND_IMAGE)
    if rows == 0 or cols == 0:
        return global_tile
    ids: list[int] = []
    for row in range(1, rows + 1):
        for col in range(1, cols + 1):
            ids += [tokens.FAKE_TOKEN_AROUND_IMAGE, tokens.row_col_token(row, col), *image_run]
        ids.append(tokens.NEWLINE)
    return [*ids, tokens.NEWLINE, *global_tile]


class _Builder:
    def __init__(self) -> None:
        self.ids: list[int] = [tokens.IM_START]
        self.spans: list[MmSpan] = []
        self.text = ""

    def flush(self) -> None:
        self.ids += tokens.tokenize(self.text)
        self.text = ""

    def special(self, token_id: int) -> None:
        self.flush()
        self.ids.append(token_id)

    def image(self, image: ImageInfo) -> None:
        self.flush()
        placeholder = placeholder_ids(image.rows, image.cols)
        self.spans.append(MmSpan(len(self.ids), len(placeholder), image.identity, image.tiles))
        self.ids += placeholder


def render_prompt(messages: Sequence[Message]) -> Prompt:
    """Returns the prompt of a conversation, ready for the assistant's reply."""
    out = _Builder()
    for message in messages:
        role = message.role.capitalize()
        if message.parts is None:
            out.text += f"{role}: {message.text}"
        else:
            starts_with_image = bool(message.parts) and isinstance(message.parts[0], ImagePart)
            out.text += f"{role}:" if starts_with_image else f"{role}: "
            for part in message.parts:
                if isinstance(part, TextPart):
                    out.text += part.text
                else:
                    out.image(part.image)
        out.special(tokens.END_OF_UTTERANCE)
        out.text += "\n"
    out.text += "Assistant:"
    out.flush()
    return Prompt(tuple(out.ids), tuple(out.spans))

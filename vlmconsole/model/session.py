"""A multi-turn screenshot conversation and the window policies over its old images.

Which messages go out next is a pure function of the session: `next_messages`.
Images are referred to by id (their content hash); the sources turn ids into
URLs. A window policy drops old images, never text: a turn whose image left
the window keeps its words and the assistant's reply.

Policies:
- `none`: every image stays (the prefix only grows: the prefix cache hits all of it).
- `slide:N`: the last N image turns keep their images. Each new turn drops the
  oldest image, which changes every later prefix-cache block: the whole window
  is prefilled (and re-encoded) again each turn.
- `chunk:N`: when a new image would make N+1, the oldest half of the window is
  dropped at once; between drops the prefix only grows, so it stays cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vlmconsole.model.window_policy import WindowPolicy

DEFAULT_SYSTEM_PROMPT = (
    "You are looking at a sequence of screenshots from one screen. "
    "Describe what changed and what to do next."
)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One image in the conversation: its id (content hash) and where it came from."""

    image_id: str
    label: str
    """A path or `synthetic:WxH#seed`, for people; never the bytes."""


@dataclass(frozen=True, slots=True)
class UserTurn:
    """What the user sends in one turn: words and screenshots."""

    text: str
    images: tuple[ImageRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Exchange:
    """A finished turn: what was sent and the assistant's reply."""

    user: UserTurn
    reply: str


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send: a role, its words and the ids of its images, in order."""

    role: str
    text: str
    image_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Session:
    """A conversation: a fixed system block, then finished exchanges, oldest first."""

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    policy: WindowPolicy = field(default_factory=WindowPolicy)
    exchanges: tuple[Exchange, ...] = ()

    def with_exchange(self, user: UserTurn, reply: str) -> Session:
        """Returns the session with one more finished exchange."""
        return Session(self.system_prompt, self.policy, (*self.exchanges, Exchange(user, reply)))

    def with_policy(self, policy: WindowPolicy) -> Session:
        """Returns the session under another window policy (from the next turn on)."""
        return Session(self.system_prompt, policy, self.exchanges)


def kept_image_turns(session: Session, next_turn: UserTurn) -> set[int]:
    """Returns the indexes (over exchanges, then the next turn) whose images are sent."""
    turns = [exchange.user for exchange in session.exchanges] + [next_turn]
    with_images = [i for i, turn in enumerate(turns) if turn.images]
    start = session.policy.window_start(len(with_images))
    return set(with_images[start:])


def next_messages(session: Session, next_turn: UserTurn) -> list[Message]:
    """Returns the messages to send for `next_turn`: system, history, then the new turn."""
    kept = kept_image_turns(session, next_turn)
    messages = [Message("system", session.system_prompt)]
    for index, exchange in enumerate(session.exchanges):
        images = exchange.user.images if index in kept else ()
        messages.append(Message("user", exchange.user.text, tuple(i.image_id for i in images)))
        messages.append(Message("assistant", exchange.reply))
    own = len(session.exchanges)
    images = next_turn.images if own in kept else ()
    messages.append(Message("user", next_turn.text, tuple(i.image_id for i in images)))
    return messages


def images_sent(messages: list[Message]) -> int:
    """Returns how many images the messages carry."""
    return sum(len(m.image_ids) for m in messages)


def images_still_sent(session: Session) -> set[str]:
    """Returns the ids of the past images the policy would send with a next turn.

    The others have left the window for good under this policy; the sources let
    go of their bytes.
    """
    kept = kept_image_turns(session, UserTurn(""))
    return {
        ref.image_id
        for index, exchange in enumerate(session.exchanges)
        if index in kept
        for ref in exchange.user.images
    }


def without_images(messages: list[Message], held: set[str]) -> list[Message]:
    """Returns the messages with only the images in `held` (others were let go)."""
    return [
        m
        if all(i in held for i in m.image_ids)
        else Message(m.role, m.text, tuple(i for i in m.image_ids if i in held))
        for m in messages
    ]


def chat_payload(
    messages: Sequence[Message], image_urls: Mapping[str, str | dict[str, Any]]
) -> list[dict[str, Any]]:
    """Returns the messages in the chat API's form, each image as its URL in `image_urls`
    (or as the content part given there: the uuid transport's).

    A message without images is plain text; one with images is a list of parts:
    its words first, then its images in order.
    """
    payload: list[dict[str, Any]] = []
    for message in messages:
        if not message.image_ids:
            payload.append({"role": message.role, "content": message.text})
            continue
        parts: list[dict[str, Any]] = []
        if message.text:
            parts.append({"type": "text", "text": message.text})
        for image_id in message.image_ids:
            given = image_urls[image_id]
            parts.append(
                {"type": "image_url", "image_url": {"url": given}}
                if isinstance(given, str)
                else given
            )
        payload.append({"role": message.role, "content": parts})
    return payload

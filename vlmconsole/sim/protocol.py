"""Reads an OpenAI chat-completions request body into plain values, or raises ApiError.

Content may be a string or a list of parts: `{"type": "text", "text": ...}` and
`{"type": "image_url", "image_url": {"url": ...}}`, the latter with an optional
`"uuid"` naming the image (vLLM >= 0.11).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vlmconsole.sim.error_replies import ApiError
from vlmconsole.sim.template import TextPart

ROLES = ("system", "user", "assistant", "tool", "developer")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image part as sent: a data URL or an http(s) URL, and its optional uuid; with a
    uuid, no URL (`"image_url": null`) names an image the server already has."""

    url: str | None
    uuid: str | None = None


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A message as sent; `parts` is None when the content was a plain string."""

    role: str
    text: str = ""
    parts: tuple[TextPart | ImageRef, ...] | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """The fields of a chat-completions request the simulator honours."""

    model: str
    messages: tuple[RawMessage, ...]
    stream: bool = False
    include_usage: bool = False
    continuous_usage: bool = False
    max_tokens: int | None = None
    ignore_eos: bool = False

    @property
    def image_refs(self) -> list[ImageRef]:
        """Returns every image part, in order."""
        return [
            part
            for message in self.messages
            for part in message.parts or ()
            if isinstance(part, ImageRef)
        ]


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(message, param=param)


def _part(raw: object) -> TextPart | ImageRef:
    if not isinstance(raw, Mapping):
        raise _bad("each content part must be an object", "messages")
    kind = raw.get("type")
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str):
            raise _bad("a text part needs a string `text`", "messages")
        return TextPart(text)
    if kind == "image_url":
        image = raw.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        uuid = raw.get("uuid")
        uuid = uuid if isinstance(uuid, str) and uuid else None
        if url is None and uuid is not None:  # the bytes went in an earlier request
            return ImageRef(None, uuid)
        if not isinstance(url, str) or not url:
            raise _bad("an image_url part needs `image_url.url`", "messages")
        return ImageRef(url, uuid)
    raise _bad(f"unsupported content part type {kind!r} (text and image_url are)", "messages")


def _message(raw: object) -> RawMessage:
    if not isinstance(raw, Mapping):
        raise _bad("each message must be an object", "messages")
    role = raw.get("role")
    if role not in ROLES:
        raise _bad(f"unknown message role {role!r}", "messages")
    content = raw.get("content")
    if content is None:
        return RawMessage(str(role))
    if isinstance(content, str):
        return RawMessage(str(role), text=content)
    if isinstance(content, list):
        return RawMessage(str(role), parts=tuple(_part(p) for p in content))
    raise _bad("message content must be a string or a list of parts", "messages")


def _positive_int(body: Mapping[str, object], *names: str) -> int | None:
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _bad(f"{name} must be at least 1, got {value!r}.", name)
        return value
    return None


def parse_chat(body: object) -> ChatRequest:
    """Returns the request read from a decoded JSON body; raises ApiError (400) when malformed."""
    if not isinstance(body, Mapping):
        raise _bad("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str):
        raise _bad("`model` is required", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("`messages` must be a non-empty list", "messages")
    options = body.get("stream_options")
    options = options if isinstance(options, Mapping) else {}
    stream = bool(body.get("stream", False))
    return ChatRequest(
        model=model,
        messages=tuple(_message(m) for m in messages),
        stream=stream,
        include_usage=stream and bool(options.get("include_usage", False)),
        continuous_usage=stream and bool(options.get("continuous_usage_stats", False)),
        max_tokens=_positive_int(body, "max_completion_tokens", "max_tokens"),
        ignore_eos=bool(body.get("ignore_eos", False)),
    )

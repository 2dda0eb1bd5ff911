"""Window policies and what goes out next: a pure function of the session."""

from __future__ import annotations

import pytest

from vlmconsole.model.session import (
    ImageRef,
    Session,
    UserTurn,
    chat_payload,
    images_sent,
    images_still_sent,
    next_messages,
    without_images,
)
from vlmconsole.model.window_policy import PolicyError, WindowPolicy


def turn(n: int) -> UserTurn:
    return UserTurn(f"screen {n}", (ImageRef(f"img{n}", f"shot{n}.png"),))


def ids_after(policy: str, turns: int) -> list[str]:
    session = Session(policy=WindowPolicy.parse(policy))
    for n in range(1, turns):
        session = session.with_exchange(turn(n), f"reply {n}")
    messages = next_messages(session, turn(turns))
    return [image_id for m in messages for image_id in m.image_ids]


def test_none_keeps_every_image_in_order() -> None:
    assert ids_after("none", 5) == ["img1", "img2", "img3", "img4", "img5"]


def test_slide_keeps_the_last_n() -> None:
    assert ids_after("slide:3", 2) == ["img1", "img2"]
    assert ids_after("slide:3", 5) == ["img3", "img4", "img5"]
    assert ids_after("slide:3", 6) == ["img4", "img5", "img6"]


def test_chunk_drops_the_oldest_half_at_once_then_only_grows() -> None:
    windows = [ids_after("chunk:4", n) for n in range(1, 10)]
    assert windows[3] == ["img1", "img2", "img3", "img4"]
    assert windows[4] == ["img3", "img4", "img5"]  # 5 > 4: drop img1, img2 together
    assert windows[5] == ["img3", "img4", "img5", "img6"]  # grows: prefix stable
    assert windows[6] == ["img5", "img6", "img7"]
    assert windows[8] == ["img7", "img8", "img9"]


def test_dropped_images_keep_their_words_and_replies() -> None:
    session = Session(policy=WindowPolicy.parse("slide:1"))
    session = session.with_exchange(turn(1), "reply 1")
    messages = next_messages(session, turn(2))
    assert [(m.role, m.text, m.image_ids) for m in messages[1:]] == [
        ("user", "screen 1", ()),
        ("assistant", "reply 1", ()),
        ("user", "screen 2", ("img2",)),
    ]
    assert messages[0].role == "system"
    assert images_sent(messages) == 1


def test_text_only_turns_do_not_count_against_the_window() -> None:
    session = Session(policy=WindowPolicy.parse("slide:2"))
    session = session.with_exchange(turn(1), "r1")
    session = session.with_exchange(UserTurn("just text"), "r2")
    session = session.with_exchange(turn(3), "r3")
    messages = next_messages(session, turn(4))
    assert [i for m in messages for i in m.image_ids] == ["img3", "img4"]


def test_changing_the_policy_applies_from_the_next_turn() -> None:
    session = Session()
    for n in range(1, 4):
        session = session.with_exchange(turn(n), f"r{n}")
    assert images_sent(next_messages(session, turn(4))) == 4
    session = session.with_policy(WindowPolicy.parse("slide:2"))
    assert images_sent(next_messages(session, turn(4))) == 2


@pytest.mark.parametrize("text", ["slide", "slide:0", "chunk:1", "window:3", "slide:x"])
def test_unreadable_policies_say_what_is_accepted(text: str) -> None:
    with pytest.raises(PolicyError, match="none, slide:N or chunk:N|chunk:N needs"):
        WindowPolicy.parse(text)


def test_policy_round_trips_as_text() -> None:
    for text in ("none", "slide:8", "chunk:8"):
        assert str(WindowPolicy.parse(text)) == text


def session_of(policy: str, turns: int) -> Session:
    session = Session(policy=WindowPolicy.parse(policy))
    for n in range(1, turns + 1):
        session = session.with_exchange(turn(n), f"reply {n}")
    return session


def test_images_still_sent_are_the_window_a_next_turn_would_send() -> None:
    assert images_still_sent(session_of("none", 5)) == {f"img{n}" for n in range(1, 6)}
    assert images_still_sent(session_of("slide:2", 5)) == {"img4", "img5"}
    chunk = session_of("chunk:4", 5)
    assert images_still_sent(chunk) == {
        i for m in next_messages(chunk, UserTurn("words only")) for i in m.image_ids
    }


def test_images_let_go_of_leave_their_messages_but_not_the_words() -> None:
    messages = next_messages(session_of("none", 3), turn(4))
    kept = without_images(messages, {"img3", "img4"})
    assert [i for m in kept for i in m.image_ids] == ["img3", "img4"]
    assert [m.text for m in kept] == [m.text for m in messages]
    assert without_images(messages, {f"img{n}" for n in range(1, 5)}) == messages


def test_the_payload_puts_words_before_images_and_each_image_as_its_url() -> None:
    session = Session("system words").with_exchange(turn(1), "reply 1")
    messages = next_messages(session, UserTurn("", (ImageRef("img2", "shot2.png"),)))
    urls = {"img1": "data:image/png;base64,AAA", "img2": "http://127.0.0.1:9/x/img2.png"}
    assert chat_payload(messages, urls) == [
        {"role": "system", "content": "system words"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "screen 1"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
            ],
        },
        {"role": "assistant", "content": "reply 1"},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/x/img2.png"}}
            ],
        },
    ]

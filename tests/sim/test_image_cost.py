"""Image token costs as the real test server's Idefics3 processor counts them."""

from __future__ import annotations

import pytest

from tests.sim.support import png
from vlmconsole.sim.image_cost import (
    BadImage,
    decode_data_url,
    image_token_count,
    inspect_image,
    loopback_url,
    tile_grid,
)
from vlmconsole.sources.synthetic_images import synthetic_screenshot


@pytest.mark.parametrize(
    ("width", "height", "tokens"),
    [
        (1280, 720, 863),  # each measured on the real server
        (640, 480, 863),
        (1920, 1080, 863),
        (800, 1280, 864),
        (512, 512, 1128),
        (300, 100, 598),
    ],
)
def test_image_costs_what_the_real_server_charged(width: int, height: int, tokens: int) -> None:
    assert image_token_count(*tile_grid(width, height)) == tokens


def test_a_1280x720_png_is_3_by_4_tiles_plus_the_global_one_863_tokens() -> None:
    image = inspect_image(synthetic_screenshot(1280, 720, seed=7))
    assert (image.width_px, image.height_px) == (1280, 720)
    assert (image.rows, image.cols, image.tiles) == (3, 4, 13)
    assert image.num_tokens == 13 * 64 + 31


def test_identity_is_the_bytes_hash_unless_a_uuid_names_the_image() -> None:
    assert inspect_image(png(1)).identity == inspect_image(png(1)).identity
    assert inspect_image(png(1)).identity != inspect_image(png(2)).identity
    assert inspect_image(png(1), uuid="shot-1").identity == "shot-1"


def test_undecodable_bytes_are_refused_as_vllm_words_it() -> None:
    with pytest.raises(BadImage, match="^Failed to load image: cannot identify image file"):
        inspect_image(b"hello world")
    with pytest.raises(BadImage, match="Failed to load image"):
        inspect_image(png(1)[:60])  # a PNG header with its data cut off


def test_data_urls_must_be_base64_images() -> None:
    assert decode_data_url("data:image/png;base64,aGk=") == b"hi"
    with pytest.raises(BadImage):
        decode_data_url("data:image/png;base64,@@@")
    with pytest.raises(BadImage):
        decode_data_url("data:text/plain;base64,aGk=")


@pytest.mark.parametrize(
    "url",
    [
        "http://192.0.2.1/shot.png",
        "http://example.com/shot.png",
        "http://10.0.0.1:8000/shot.png",
        "file:///etc/passwd",
        "ftp://127.0.0.1/shot.png",
        "http://127.0.0.1.example.com/shot.png",
    ],
)
def test_only_loopback_http_urls_pass(url: str) -> None:
    with pytest.raises(BadImage):
        loopback_url(url)


def test_loopback_urls_pass_and_localhost_becomes_127_0_0_1() -> None:
    assert loopback_url("http://127.0.0.1:8080/a.png") == "http://127.0.0.1:8080/a.png"
    assert loopback_url("http://127.3.4.5/a.png") == "http://127.3.4.5/a.png"
    assert loopback_url("http://localhost:9/a.png?x=1") == "http://127.0.0.1:9/a.png?x=1"
    assert loopback_url("http://[::1]:9/a.png") == "http://[::1]:9/a.png"

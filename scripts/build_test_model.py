"""Builds the tiny random-weight vision-language model the e2e tests serve with vLLM.

Idefics3 architecture (SmolVLM's), as ../shared/DESIGN.md describes: a 2-layer
llama text model (hidden 128), a 2-layer SigLIP-style vision tower (hidden 64,
image 512, patch 16) and a pixel-shuffle connector with scale factor 4, so one
512x512 tile costs 64 image tokens. The tokenizer is a byte-level BPE trained
here with `tokenizers` on generated text, with Idefics3's special tokens and a
SmolVLM-style chat template. Everything is seeded: two builds are identical.

Runs inside the vLLM venv (it has torch, transformers and tokenizers):
    ~/.cache/vlmconsole/vllm-venv/bin/python scripts/build_test_model.py [--out DIR]
A no-op when the model is already built with this script's version.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
from pathlib import Path

BUILD_VERSION = "1"  # bump when anything below changes the built model
SEED = 1234
IMAGE_SIZE = 512
PATCH_SIZE = 16
SCALE_FACTOR = 4
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH_SIZE) ** 2 // SCALE_FACTOR**2  # 64 tokens a tile
LONGEST_EDGE = 4 * IMAGE_SIZE  # images are resized to this, then cut into 512 tiles
MAX_POSITIONS = 32768
VOCAB_TARGET = 2048

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<fake_token_around_image>",
    "<image>",
    "<end_of_utterance>",
    "<global-img>",
    *[f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7)],
]

CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}"
    "{{ message['role'] | capitalize }}"
    "{% if message['content'] is string %}: {{ message['content'] }}"
    "{% else %}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}"
    "{% elif part['type'] == 'image' %}{{ '<image>' }}{% endif %}"
    "{% endfor %}{% endif %}"
    "<end_of_utterance>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

WORDS = (
    "the a screen window button menu click open close file edit view help text image "
    "user assistant system what is on this screenshot describe the next step to take "
    "terminal browser page form field login password search result error warning ok "
    "cancel save load run stop start settings panel chart table row column value time "
    "token cache server model request response first last turn number one two three "
    "left right top bottom center icon toolbar status bar dialog tab list item select "
    "scroll down up type enter press key mouse move drag drop zoom in out red green blue"
).split()


def default_out() -> Path:
    """Returns the default model folder under the vlmconsole cache."""
    cache = Path(os.environ.get("VLMCONSOLE_CACHE", Path.home() / ".cache" / "vlmconsole"))
    return cache / "models" / "tiny-idefics3"


def corpus(rng: random.Random, lines: int = 4000) -> list[str]:
    """Returns deterministic pseudo-English lines to train the tokenizer on."""
    out = []
    for _ in range(lines):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 18))]
        sentence = " ".join(words).capitalize() + rng.choice([".", "?", "!", ":"])
        out.append(sentence + " " + str(rng.randint(0, 9999)))
    return out


def build_tokenizer(out: Path, rng: random.Random):  # type: ignore[no-untyped-def]
    """Trains the byte-level BPE tokenizer; returns it as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_TARGET,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(rng), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<end_of_utterance>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[2:],
        model_max_length=MAX_POSITIONS,
    )


def build(out: Path) -> None:
    """Builds the tokenizer, processor and random-weight model into `out`."""
    import torch
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessorPil,
        Idefics3Processor,
        Idefics3VisionConfig,
        LlamaConfig,
    )

    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    tokenizer = build_tokenizer(tmp, rng)
    image_processor = Idefics3ImageProcessorPil(
        do_image_splitting=True,
        size={"longest_edge": LONGEST_EDGE},
        max_image_size={"longest_edge": IMAGE_SIZE},
    )
    processor = Idefics3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_len=IMAGE_SEQ_LEN,
        chat_template=CHAT_TEMPLATE,
    )
    vocab_size = len(tokenizer)
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    text_config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=MAX_POSITIONS,
        rope_theta=100000.0,
        tie_word_embeddings=False,
        pad_token_id=pad_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    vision_config = Idefics3VisionConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=IMAGE_SIZE,
        patch_size=PATCH_SIZE,
    )
    config = Idefics3Config(
        text_config=text_config.to_dict(),
        vision_config=vision_config.to_dict(),
        scale_factor=SCALE_FACTOR,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        pad_token_id=pad_id,
        tie_word_embeddings=False,
    )
    model = Idefics3ForConditionalGeneration(config).to(torch.bfloat16)
    model.save_pretrained(tmp, safe_serialization=True)
    processor.save_pretrained(tmp)
    gen = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": pad_id,
    }
    (tmp / "generation_config.json").write_text(json.dumps(gen, indent=2))
    (tmp / "BUILD_VERSION").write_text(BUILD_VERSION)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_out())
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args()
    stamp = args.out / "BUILD_VERSION"
    if not args.force and stamp.exists() and stamp.read_text() == BUILD_VERSION:
        print(f"test model ready: {args.out}")
        return
    build(args.out)
    print(f"test model built: {args.out}")


if __name__ == "__main__":
    main()

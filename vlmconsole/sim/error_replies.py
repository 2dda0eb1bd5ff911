"""Errors the simulated server answers with, in vLLM's JSON shape and wording."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    """An error response: `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(
        self,
        message: str,
        status: HTTPStatus = HTTPStatus.BAD_REQUEST,
        err_type: str = "BadRequestError",
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.err_type = err_type
        self.param = param

    def body(self) -> dict[str, Any]:
        """Returns the JSON body vLLM sends for this error."""
        return {
            "error": {
                "message": self.message,
                "type": self.err_type,
                "param": self.param,
                "code": int(self.status),
            }
        }


def validation_error(message: str, param: str, value: object = None) -> ApiError:
    """Returns a 400 worded like vLLM's VLLMValidationError (parameter and value appended)."""
    extras = [f"parameter={param}"] + ([f"value={value}"] if value is not None else [])
    return ApiError(f"{message} ({', '.join(extras)})", param=param)


def unknown_model(model: str, served: str) -> ApiError:
    """Returns the 404 for a model the server does not serve."""
    return ApiError(
        f"The model `{model}` does not exist. Valid aliases: {served}.",
        HTTPStatus.NOT_FOUND,
        "NotFoundError",
        "model",
    )


def too_many_images(limit: int) -> ApiError:
    """Returns the 400 for more images than `--limit-mm-per-prompt` allows."""
    return validation_error(f"At most {limit} image(s) may be provided in one prompt.", "image")


def prompt_too_long(max_model_len: int, prompt_tokens: int) -> ApiError:
    """Returns the 400 for a prompt longer than the model's context."""
    return validation_error(
        f"This model's maximum context length is {max_model_len} tokens. However, your prompt "
        f"contains {prompt_tokens} input tokens, which exceeds this limit even without any "
        "output tokens. Please reduce the length of the input prompt.",
        "input_tokens",
        prompt_tokens,
    )

"""The base of the functions' answer models, and their use: JSON schema and validation.

Each function declares its answer model (seed §2.5, §3.5, §4.5) in its own folder
(``shared/functions/<name>/schema.py``), built from the lenient field types here. They serve twice: their JSON schema is sent to models that support structured outputs, and
every answer, structured or not, is validated against them in PARSE, before anything is saved.
They are as lenient as the seed is: comma-separated strings are accepted where the seed
accepts them for lists, numbers given as text are read, and articles keep extra fields (the
seed stores them as metadata).

pydantic only, no SDK import: PARSE imports this module and must stay light.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from shared.ai.results import extract_json
from shared.errors import AIResponseInvalid

VALIDATION_DETAILS = 3
CONTENT_ALIASES = ("html_content", "html", "article", "body")
_DIGITS = re.compile(r"\d[\d,]*")
_JSON_FENCE = re.compile(r"^```(?:json|JSON)?\s*[\[{]")


def _str_list(value: Any) -> Any:
    """A list of strings from a list or a comma-separated string (the seed splits on commas)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [
            str(v).strip() if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value
        ]
    return value


def _loose_int(value: Any) -> Any:
    """An integer from a number or from text such as "1,500" or "1500 words"; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        match = _DIGITS.search(value)
        return int(match.group(0).replace(",", "")) if match else None
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _text_or_none(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _stringify_items(value: Any) -> Any:
    if isinstance(value, list):
        return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value]
    return value


StrList = Annotated[list[str], BeforeValidator(_str_list)]
#: A list of strings or one comma-separated string, kept as given (the functions normalise it).
ListOrText = Annotated[list[str] | str | None, BeforeValidator(_stringify_items)]
LooseInt = Annotated[int | None, BeforeValidator(_loose_int)]
Text = Annotated[str | None, BeforeValidator(_text_or_none)]
Name = Annotated[str, Field(min_length=1), AfterValidator(_non_blank)]


class ResponseModel(BaseModel):
    """Base of the answer models."""

    #: The schema name sent to the provider (``^[a-zA-Z0-9_-]+$``).
    schema_name: ClassVar[str] = "response"
    #: What the answer is, for error messages.
    label: ClassVar[str] = "answer"
    #: The seed accepts a plain-text answer for this function (articles).
    allows_plain_text: ClassVar[bool] = False

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def validate_answer(cls, text: str | None) -> BaseModel | None:
        """Validate a model answer against this model (see the module's ``validate_answer``)."""
        return validate_answer(cls, text)


def json_schema_format(model: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` of a structured-outputs request for ``model``.

    ``strict`` is off: the models are deliberately lenient (unions, optional fields, extra
    fields for articles), which strict mode does not allow. The answer is validated anyway.
    """
    name = getattr(model, "schema_name", None) or model.__name__
    return {
        "type": "json_schema",
        "json_schema": {
            "name": name,
            "description": getattr(model, "schema_description", "") or model.__name__,
            "schema": model.model_json_schema(),
            "strict": False,
        },
    }


def _looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(("{", "[")) or bool(_JSON_FENCE.match(stripped))


def describe_validation_error(exc: ValidationError, limit: int = VALIDATION_DETAILS) -> str:
    """``clusters.0.name: Field required; ...`` without the offending values."""
    parts = []
    for error in exc.errors()[:limit]:
        location = ".".join(str(p) for p in error.get("loc", ())) or "(root)"
        message = (
            "expected a JSON object" if error.get("type") == "model_type" else error.get("msg", "invalid")
        )
        parts.append(f"{location}: {message}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more problem(s)")
    return "; ".join(parts)


def validate_answer(model: type[BaseModel], text: str | None) -> BaseModel | None:
    """Validate a model answer against ``model``; raise AIResponseInvalid with a clear message.

    Returns the validated instance, or None for a plain-text answer the model accepts (articles).
    """
    text = text or ""
    label = getattr(model, "label", model.__name__)
    plain_ok = bool(getattr(model, "allows_plain_text", False))
    if not text.strip():
        raise AIResponseInvalid(f"the {label} answer is empty; nothing was saved")
    if plain_ok and not _looks_like_json(text):
        return None
    value = extract_json(text)
    if value is None:
        raise AIResponseInvalid(
            f"the {label} answer is not valid JSON (no complete JSON object could be read from it); "
            "nothing was saved"
        )
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise AIResponseInvalid(
            f"the {label} answer does not match the expected schema: {describe_validation_error(exc)}; "
            "nothing was saved"
        ) from None


def schema_json(model: type[BaseModel]) -> str:
    """The JSON schema as text (docs, prompts)."""
    return json.dumps(model.model_json_schema(), indent=2)

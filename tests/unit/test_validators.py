"""The seed's validators that need no database."""

from __future__ import annotations

import pytest

from shared.ai import validators


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({}, "ids is required"),
        ({"ids": []}, "ids is required"),
        ({"ids": "1,2"}, "ids is required"),
        ({"ids": [1, "2"]}, "positive integers"),
        ({"ids": [True]}, "positive integers"),
        ({"ids": [0]}, "positive integers"),
        ({"ids": [1, 1]}, "duplicates"),
        ({"ids": list(range(1, 12))}, "at most 10 ids per request (got 11)"),
    ],
)
def test_validate_ids_rejects(payload, error):
    result = validators.validate_ids(payload, max_items=10)
    assert result["valid"] is False and error in result["error"]


def test_validate_ids_accepts():
    assert validators.validate_ids({"ids": [3, 1, 2]}, max_items=3) == {"valid": True}


def test_model_and_image_size():
    assert validators.validate_model("gpt-4o-mini")["valid"]
    assert "not supported" in validators.validate_model("gpt-99")["error"]
    assert validators.validate_image_size("dall-e-3", "1024x1024")["valid"]
    assert "not valid" in validators.validate_image_size("dall-e-3", "10x10")["error"]
    assert not validators.validate_api_key(None, offline_allowed=False)["valid"]


def test_cluster_limits_off_by_default():
    class Account:
        max_clusters = None
        account_id = "a"

    assert validators.validate_cluster_limits(Account(), new_clusters=1000)["valid"]

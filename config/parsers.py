"""The JSON parser every API view uses: DRF's, with a limit on nesting.

Without one, a 2 KB body of a thousand nested brackets reaches Python's
recursion limit while parsing or validating and answers 500.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Far deeper than any body our API takes (three or four levels), far below
# the recursion limit of the parser and of the serializers after it.
JSON_DEPTH_MAX = 32
TOO_DEEP = "The JSON body is nested too deeply."


def json_depth(data: Any) -> int:
    """Return how deeply lists and objects nest in parsed JSON, without recursion."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, Mapping):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > JSON_DEPTH_MAX:
            break
        pending.extend((child, depth + 1) for child in children)
    return deepest


class DepthLimitedJSONParser(JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        if json_depth(data) > JSON_DEPTH_MAX:
            raise ParseError(TOO_DEEP)
        return data

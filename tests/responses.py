"""Name the responses the test clients return, for annotations.

The clients add `json()` and friends to the response at run time; only the
stubs name those classes, so the checker sees them and Python sees a base.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as ClientResponse
    from rest_framework.response import _MonkeyPatchedResponse as ApiResponse
else:
    from django.http import HttpResponseBase as ClientResponse
    from rest_framework.response import Response as ApiResponse

__all__ = ["ApiResponse", "ClientResponse"]

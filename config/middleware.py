"""Django's common middleware, with a method-keeping slash redirect for the API."""

from django.http import HttpRequest, HttpResponseBase
from django.http.response import HttpResponseRedirectBase
from django.middleware.common import CommonMiddleware
from django.utils.http import escape_leading_slashes

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class HttpResponsePermanentRedirectKeepMethod(HttpResponseRedirectBase):
    status_code = 308


class SlashMiddleware(CommonMiddleware):
    """Redirect an API write without its trailing slash with 308.

    A 301 makes clients resend a POST as a GET, so the write is lost, and
    under DEBUG Django refuses the redirect with a 500 instead.
    """

    def _keeps_method(self, request: HttpRequest) -> bool:
        return (
            request.path_info.startswith("/api/") and request.method not in SAFE_METHODS
        )

    def get_full_path_with_slash(self, request: HttpRequest) -> str:
        if not self._keeps_method(request):
            return super().get_full_path_with_slash(request)
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            response.status_code == 404
            and self._keeps_method(request)
            and self.should_redirect_with_slash(request)
        ):
            return HttpResponsePermanentRedirectKeepMethod(
                self.get_full_path_with_slash(request)
            )
        return super().process_response(request, response)

import pytest


@pytest.fixture(autouse=True)
def plain_static_files(settings: object) -> None:
    """Serve static names as they are: the tests run no collectstatic."""
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }

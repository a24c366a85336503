"""Static file storage that works before and after `collectstatic`."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class LodeStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Serve hashed names once collected, and plain names until then.

    Without a manifest, Django's manifest storage raises on every `{% static %}`
    tag, so a server started with DEBUG off before `collectstatic` answered
    every page with a 500. WhiteNoise then serves the plain names from the
    app and project static folders.
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)

"""Models whose text is stored once per locale (``title_fr``, ``title_en``, ...)."""

from flask_babel import get_locale


class Translated:
    """Mixin: ``obj.localized("title")`` picks the reader's locale, falling back to French then English."""

    def localized(self, field: str, locale: str | None = None) -> str:
        locale = locale or str(get_locale() or "fr")
        for code in (locale, "fr", "en"):
            value = getattr(self, f"{field}_{code}", None)
            if value:
                return value
        return ""

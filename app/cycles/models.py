"""Places and themes of the city's budget: districts and categories."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.translated import Translated


class District(Base):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Category(Translated, Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_fr: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    name_nl: Mapped[str] = mapped_column(String(80), default="")
    icon: Mapped[str] = mapped_column(String(8), default="")
    colour: Mapped[str] = mapped_column(String(7), default="#1d4ed8")

    @property
    def name(self) -> str:
        return self.localized("name")

"""The exceptions promo_core raises. Pages turn them into messages; nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field


class PromoLabError(Exception):
    """Base class of every error promo_core raises on purpose."""


class DatabaseBusyError(PromoLabError):
    """The database file is locked by another process (e.g. the app is writing)."""


class SchemaError(PromoLabError):
    """The database does not have the tables or version this code expects."""


@dataclass
class ValidationProblem:
    """One thing wrong with an input: where it is and a few example rows."""

    message: str
    column: str | None = None
    count: int = 0
    examples: list[int] = field(default_factory=list)  # 1-based data row numbers

    def describe(self) -> str:
        where = f"column '{self.column}': " if self.column else ""
        text = f"{where}{self.message}"
        if self.count:
            text += f" ({self.count:,} row{'s' if self.count != 1 else ''}"
            if self.examples:
                text += ", first at row " + ", ".join(str(r) for r in self.examples[:5])
            text += ")"
        return text


class ValidationError(PromoLabError):
    """An input failed validation before anything was written.

    Carries the file name and every problem found, so a page can list them all.
    """

    def __init__(self, source: str, problems: list[ValidationProblem]):
        self.source = source
        self.problems = problems
        lines = "; ".join(p.describe() for p in problems)
        super().__init__(f"{source}: {lines}")

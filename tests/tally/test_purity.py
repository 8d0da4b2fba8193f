"""app/tally is pure: it imports neither Flask nor SQLAlchemy nor the rest of the application."""

import ast
from pathlib import Path

TALLY = Path(__file__).resolve().parents[2] / "app" / "tally"


def test_tally_imports_nothing_from_the_web_stack():
    offenders = []
    for path in sorted(TALLY.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                if root in ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "flask_babel") or (
                    name.startswith("app.") and not name.startswith("app.tally")
                ):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
    assert len(list(TALLY.glob("*.py"))) >= 5

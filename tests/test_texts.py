"""bot/texts.py is the one place for every word: a name given twice would silently put the
second words under buttons and messages meant for the first."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import bot.texts


def test_every_name_in_texts_is_given_once() -> None:
    tree = ast.parse(Path(bot.texts.__file__).read_text(encoding="utf-8"))
    names: Counter[str] = Counter()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] += 1
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names[node.name] += 1
    assert [name for name, count in names.items() if count > 1] == []

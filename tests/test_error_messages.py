"""Every user-facing error says what to do: ``gankit: error: <what> (<how to fix>)``.

Read from the source, so a new ``raise GankitError("...")`` without its fix fails here (issue 21 found
35 messages that were clean but left the user guessing)."""

from __future__ import annotations

import ast
from pathlib import Path

import gankit

SRC = Path(gankit.__file__).parent
ERRORS = {"GankitError", "TrainingDiverged", "DistributedError"}
#: messages that wrap another GankitError's text, which carries the fix itself (none now)
WRAPPERS: set[str] = set()


def _template(node: ast.expr, names: dict[str, ast.expr]) -> str | None:
    """The message's text with ``{}`` for each formatted part (a variable: the text it was given in its
    module); None when it cannot be read from the source."""
    if isinstance(node, ast.Name) and node.id in names:
        return _template(names[node.id], {})
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else _part(v.value, names) for v in node.values)
    if isinstance(node, ast.IfExp):  # a part that is there or not: the message ends with neither
        return "{}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left, names), _template(node.right, names)
        return None if left is None or right is None else left + right
    return None


def _part(node: ast.expr, names: dict[str, ast.expr]) -> str:
    """A formatted part: a variable holding a message piece (``{example}``) is read as its text."""
    if isinstance(node, ast.Name) and node.id in names:
        return _template(names[node.id], {}) or "{}"
    return "{}"


def messages() -> list[tuple[str, int, str | None]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        names = {n.targets[0].id: n.value for n in ast.walk(tree)
                 if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS and node.args:
                found.append((f"{path.relative_to(SRC)}:{node.lineno}", node.lineno, _template(node.args[0], names)))
    return found


def names_its_fix(text: str) -> bool:
    text = text.rstrip(". ")
    return text.endswith(")") and " (" in text


def test_the_source_has_error_messages_to_check():
    assert len(messages()) > 200


def test_every_error_message_ends_with_how_to_fix_it():
    missing = [f"{where}: {text}" for where, _, text in messages()
               if text is not None and text not in WRAPPERS and not names_its_fix(text)]
    assert not missing, "messages without their '(how to fix)' part:\n" + "\n".join(missing)


def test_every_error_message_can_be_read_from_the_source():
    built_elsewhere = [where for where, _, text in messages() if text is None]
    assert not built_elsewhere, built_elsewhere


def test_the_check_itself_tells_a_fix_from_none():
    assert names_its_fix("unknown model 'x' (see 'gankit models')")
    assert not names_its_fix("--class must be in 0..9, not 12")
    assert not names_its_fix("(the fix first) then the problem")

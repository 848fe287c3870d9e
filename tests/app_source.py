"""Reading the application's own source, for tests that must know every place a rule is used."""

import ast
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent.parent / "app"


class _CallFinder(ast.NodeVisitor):
    """Collects the innermost function around each call of one function name."""

    def __init__(self, called: str):
        self.called = called
        self.stack: list[str] = []
        self.callers: set[str] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == self.called:
            self.callers.add(self.stack[-1] if self.stack else "<module>")
        self.generic_visit(node)


def callers_of(function: str) -> set[str]:
    """Names of the functions in ``app/`` that call ``function`` (by its bare or dotted name).

    A test that walks every view using a rule compares its list with this one, so a new use of
    the rule fails that test until it is added to the walk.
    """
    finder = _CallFinder(function)
    for path in APP_DIR.rglob("*.py"):
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return finder.callers

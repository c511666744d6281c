"""The house's shape, read from the source with `ast` (nothing here imports the app, so it runs in well under
a second): what may import what, with no circle, and every import at the top of its file unless its comment
says what loading it later saves.

Each test prints what it finds (file:line and the offending import), so a failure is its own to-do list.
The rules are written down as data below; the README's "The gate" says how to read and change them.
"""
import ast
import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The app is app.py and chalicelib/ (chalicelib/assets/ is a copy `make package` makes of templates/ and passes/).
APP_FILES = (ROOT / "app.py", *sorted(p for p in (ROOT / "chalicelib").rglob("*.py") if "assets" not in p.parts))
# Imports at the top: the app and the code that runs next to it (scripts, benchmarks, the packaging). Tests may
# import inside a test what only that test needs, or what must load after the test has set up its environment.
TOP_IMPORT_FILES = (*APP_FILES, *(p for folder in ("infra", "benchmarks", "passes")
                                  for p in sorted((ROOT / folder).rglob("*.py"))))

# What only store/ speaks: DynamoDB through PynamoDB, and the models that map its items.
STORE_ONLY = ("pynamodb", "chalicelib.store.models")

# core/ is the rules in pure Python: it imports the standard library, itself and the error types, and nothing that
# reaches a service or a layer above. (Reading the clock is a call, not an import: review catches that one.)
CORE = "chalicelib.core"
CORE_MAY_IMPORT = ("chalicelib.core", "chalicelib.errors")
CORE_NEVER_IMPORTS = ("boto3", "botocore", "pynamodb", "httpx", "h2", "jwt", "moto", "chalice", "jinja2",
                      "urllib.request", "http.client", "socket", "subprocess")

# Layers, lowest first. A module may import its own layer and the layers below it, never one above. A group is a
# package (`chalicelib.store`) or a module of its own (`chalicelib.config`); a group not listed fails the test, so a
# new package gets its place on purpose.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("chalicelib", "chalicelib.errors", "chalicelib.config", "chalicelib.log", "chalicelib.metrics",
                    "chalicelib.lazy", "chalicelib.assets", "chalicelib.http_standin")),
    ("rules", ("chalicelib.core", "chalicelib.secret_store")),  # secret_store: config plus one botocore client
    ("commands", ("chalicelib.commands",)),  # typed inputs, parsed at the edge with core's strict readers
    # queue: the jobs queue (SQS or in place); it reaches the workers only through its task registry, by name
    ("effects", ("chalicelib.store", "chalicelib.wallet", "chalicelib.channels", "chalicelib.queue",
                 "chalicelib.auth", "chalicelib.rendering",
                 "chalicelib.accounts")),  # accounts: the staff's Cognito user pool and invitation letter
    ("use cases", ("chalicelib.usecases", "chalicelib.integrations")),
    ("entry points", ("chalicelib.api", "chalicelib.jobs")),
    ("wiring and tools", ("app", "chalicelib.cli", "chalicelib.devstack", "chalicelib.demo_history",
                          "chalicelib.local_dynamodb")),
)
# Groups of one layer that must not import each other: an HTTP route and a scheduled job each call the use cases.
APART = (("chalicelib.api", "chalicelib.jobs"),)

# An import inside a function is allowed when a comment on it (or on the comment lines right above its block of
# adjacent imports) starts with `lazy:` and gives the measured figure it saves: `# lazy: Jinja2, +45 ms on import app`.
LAZY_MARK = re.compile(r"#\s*lazy:(?P<reason>.*)")
FIGURE = re.compile(r"\d+(?:[.,]\d+)?\s?(?:ms|s|µs|us|kB|KB|MB|%)(?![A-Za-z])")


@dataclass(frozen=True)
class Import:
    """One name an import statement loads: `from a import b, c` is two of them."""

    importer: str  # the module that imports, dotted ("chalicelib.api.join"; "app")
    path: Path
    line: int
    target: str  # the module loaded, resolved against the app's own modules
    top_level: bool  # False: inside a function or a class body
    type_checking: bool  # under `if TYPE_CHECKING:`, never run
    lazy_reason: str | None  # the text after `# lazy:`, when the import carries one

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


APP_MODULES = frozenset(module_name(p) for p in APP_FILES)


def _comments(source: str) -> dict[int, str]:
    """Line number -> the comment on that line."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string
    return found


def _lazy_reason(node: ast.stmt, block_head: ast.stmt, comments: dict[int, str], lines: list[str]) -> str | None:
    """The `lazy:` reason of an import: on its own lines, or on the comment lines right above the first import of
    its block (imports on adjacent lines share the comment above them)."""
    end = node.end_lineno or node.lineno
    candidates = [comments.get(number, "") for number in range(node.lineno, end + 1)]
    above = block_head.lineno - 1
    while above >= 1 and lines[above - 1].strip().startswith("#"):
        candidates.append(comments.get(above, ""))
        above -= 1
    for comment in candidates:
        mark = LAZY_MARK.search(comment)
        if mark:
            return mark.group("reason").strip()
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module `from ... import` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


@cache
def imports_of(path: Path, root: Path = ROOT) -> tuple[Import, ...]:
    source = path.read_text(encoding="utf-8")
    tree, comments, lines = ast.parse(source, str(path)), _comments(source), source.splitlines()
    importer, is_package = module_name(path, root), path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, block_head: ast.stmt | None, top_level: bool, type_checking: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(importer, is_package, node)
                # `from chalicelib.store import cards` loads the module chalicelib.store.cards; `from
                # chalicelib.jobs import JOBS` loads the package chalicelib.jobs
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in APP_MODULES else base
                           for alias in node.names]
            reason = None if top_level else _lazy_reason(node, block_head or node, comments, lines)
            found.extend(Import(importer, path, node.lineno, target, top_level, type_checking, reason)
                         for target in dict.fromkeys(targets))
            return
        nested = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        for field, value in ast.iter_fields(node):
            guarded = isinstance(node, ast.If) and field == "body" and _is_type_checking(node.test)
            previous: ast.AST | None = None
            head: ast.stmt | None = None
            for child in value if isinstance(value, list) else [value]:
                if not isinstance(child, ast.AST):
                    continue
                adjacent = (isinstance(previous, ast.Import | ast.ImportFrom) and isinstance(child, ast.stmt)
                            and previous.end_lineno is not None and previous.end_lineno + 1 == child.lineno)
                head = head if adjacent else (child if isinstance(child, ast.stmt) else None)
                visit(child, head, top_level and not nested, type_checking or guarded)
                previous = child

    visit(tree, None, True, False)
    return tuple(found)


def app_imports() -> Iterator[Import]:
    for path in APP_FILES:
        yield from imports_of(path)


def _is_within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _report(title: str, lines: Iterable[str]) -> str:
    listed = list(lines)
    return f"{len(listed)} {title}:\n  " + "\n  ".join(listed)


# --- (a) the closed store ---------------------------------------------------------------------------------

def test_only_store_imports_pynamodb_and_the_models():
    leaks = [f"{found.where()} imports {found.target}" for found in app_imports()
             if not _is_within(found.importer, "chalicelib.store")
             and any(_is_within(found.target, closed) for closed in STORE_ONLY)]
    files = {leak.split(":")[0] for leak in leaks}
    print(_report(f"imports of PynamoDB or store.models outside store/, in {len(files)} files", leaks))
    assert not leaks, _report(f"imports of PynamoDB or store.models outside store/ (in {len(files)} files)", leaks)


# --- (b) no import circle ---------------------------------------------------------------------------------

def import_graph() -> dict[str, dict[str, Import]]:
    """Module -> the app modules it loads when it runs, each with the import that loads it. Every import counts,
    in a function or not (a function's import is a circle that closes later), except those under TYPE_CHECKING.
    Importing `chalicelib.jobs.triggers` also runs `chalicelib/jobs/__init__.py` first, so that is an edge too
    (a module's own parent packages are already running and are left out)."""
    graph: dict[str, dict[str, Import]] = {module: {} for module in APP_MODULES}
    for found in app_imports():
        if found.type_checking or found.target not in APP_MODULES:
            continue
        parts = found.target.split(".")
        loaded = [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
        for module in loaded:
            if module in APP_MODULES and module != found.importer and not _is_within(found.importer, module):
                graph[found.importer].setdefault(module, found)
    return graph


def _strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that can each reach all the others."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return [group for group in groups if len(group) > 1]


def _shortest_circle(graph: dict[str, dict[str, Import]], start: str, members: set[str]) -> list[str]:
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target in sorted(graph[module]):
                if target == start:
                    return [*paths[module], start]
                if target in members and target not in paths:
                    paths[target] = [*paths[module], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"{start} is in a strongly connected group but on no circle")


def describe_circle(graph: dict[str, dict[str, Import]], circle: list[str]) -> str:
    steps = []
    for module, target in zip(circle, circle[1:], strict=False):
        found = graph[module][target]
        via = "" if found.target == target else f" (importing {found.target} runs it first)"
        steps.append(f"{module} -> {target}  [{found.where()}{via}]")
    return "\n    ".join(steps)


def test_no_import_circle():
    graph = import_graph()
    circles = []
    for group in _strongly_connected(graph):
        # the shortest circle through each member, each told once (from its first module in sorted order)
        shortest = {}
        for member in group:
            circle = _shortest_circle(graph, member, set(group))[:-1]
            first = circle.index(min(circle))
            turned = (*circle[first:], *circle[:first])
            shortest[turned] = [*turned, turned[0]]
        told = "\n  ".join(f"circle:\n    {describe_circle(graph, circle)}" for circle in shortest.values())
        circles.append(f"{len(group)} modules that reach each other: {', '.join(group)}\n  {told}")
    print(_report("import circles", circles))
    assert not circles, _report("import circles", circles)


# --- (c) imports at the top -------------------------------------------------------------------------------

def test_imports_at_the_top_unless_a_measured_reason():
    inside, unmeasured = [], []
    for path in TOP_IMPORT_FILES:
        for found in imports_of(path):
            if found.top_level:
                continue
            if found.lazy_reason is None:
                inside.append(f"{found.where()} imports {found.target} inside a function")
            elif not FIGURE.search(found.lazy_reason):
                unmeasured.append(f"{found.where()} imports {found.target}: `lazy: {found.lazy_reason}` "
                                  "gives no measured figure (e.g. +45 ms on import app)")
    by_folder: dict[str, int] = {}
    for line in inside:
        folder = str(Path(line.split(":")[0]).parent)
        by_folder[folder] = by_folder.get(folder, 0) + 1
    print("imports inside functions per folder:", dict(sorted(by_folder.items())))
    problems = inside + unmeasured
    print(_report("imports not at the top of their file", problems))
    assert not problems, _report("imports not at the top of their file, without `# lazy: <figure>`", problems)


def test_the_lazy_mark_is_read_as_documented(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("def f():\n"
                      "    import json  # lazy: pulls Jinja2, +45 ms on import app\n"
                      "    # lazy: the APNs client, 38 ms\n"
                      "    from http import (\n"
                      "        client,\n"
                      "    )\n"
                      "    import zlib  # the block under a comment shares it\n"
                      "\n"
                      "    import csv\n"
                      "    import io  # lazy: because it is heavy\n", encoding="utf-8")
    found = imports_of(module, tmp_path)
    assert [(one.target, one.lazy_reason) for one in found] == [
        ("json", "pulls Jinja2, +45 ms on import app"), ("http", "the APNs client, 38 ms"),
        ("zlib", "the APNs client, 38 ms"), ("csv", None), ("io", "because it is heavy")]
    assert FIGURE.search("+45 ms on import app") and FIGURE.search("the APNs client, 38 ms")
    assert not FIGURE.search("because it is heavy") and not FIGURE.search("see issue 13")


def test_relative_imports_resolve_as_python_does():
    def resolved(importer: str, is_package: bool, statement: str) -> str:
        node = ast.parse(statement).body[0]
        assert isinstance(node, ast.ImportFrom)
        return _resolve(importer, is_package, node)

    assert resolved("chalicelib.api.join", False, "from .http import answer") == "chalicelib.api.http"
    assert resolved("chalicelib.api.join", False, "from ..store import cards") == "chalicelib.store"
    assert resolved("chalicelib.jobs", True, "from . import fanout") == "chalicelib.jobs"
    assert resolved("chalicelib.jobs", True, "from .fanout import send") == "chalicelib.jobs.fanout"
    assert resolved("chalicelib.api.join", False, "from chalicelib.store import cards") == "chalicelib.store"


# --- (d) core stays pure ----------------------------------------------------------------------------------

def test_core_imports_only_the_rules_and_the_errors():
    impure = []
    for found in app_imports():
        if not _is_within(found.importer, CORE):
            continue
        own = _is_within(found.target, "chalicelib") or found.target == "app"
        if (own and not any(_is_within(found.target, allowed) for allowed in CORE_MAY_IMPORT)) or any(
                _is_within(found.target, never) for never in CORE_NEVER_IMPORTS):
            impure.append(f"{found.where()} imports {found.target}")
    print(_report("impure imports in core/", impure))
    assert not impure, _report("impure imports in core/ (it may import only core, errors and pure libraries)",
                               impure)


# --- (e) layers: nothing below imports anything above -----------------------------------------------------

def group_of(module: str) -> str:
    """`chalicelib.store.cards` -> `chalicelib.store`; `chalicelib.config` -> itself; `app` -> `app`."""
    parts = module.split(".")
    return ".".join(parts[:2])


def layer_of(group: str) -> int | None:
    for rank, (_, groups) in enumerate(LAYERS):
        if group in groups:
            return rank
    return None


def test_every_package_has_a_layer():
    unplaced = sorted({group_of(module) for module in APP_MODULES if layer_of(group_of(module)) is None})
    assert not unplaced, f"place these in LAYERS (tests/test_architecture.py): {unplaced}"


def test_nothing_below_imports_anything_above():
    upward = []
    for found in app_imports():
        if not (_is_within(found.target, "chalicelib") or found.target == "app"):
            continue  # a library
        source, target = group_of(found.importer), group_of(found.target)
        source_rank, target_rank = layer_of(source), layer_of(target)
        if source == target or source_rank is None or target_rank is None:
            continue
        apart = any({source, target} == set(pair) for pair in APART)
        if target_rank > source_rank or apart:
            why = "its sibling entry point" if apart else f"the layer '{LAYERS[target_rank][0]}' above its own"
            upward.append(f"{found.where()} ({LAYERS[source_rank][0]}) imports {found.target}, {why}")
    print(_report("imports of a layer above", upward))
    assert not upward, _report("imports of a layer above (LAYERS in tests/test_architecture.py)", upward)

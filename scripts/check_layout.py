#!/usr/bin/env python3
"""House rules for the source tree (docs/architecture.md).

Hard rules (exit 1 when broken):
  - the include graph of the project's own headers has no cycle;
  - arrows run with the data flow: base/ includes only base/; mesh/ includes
    only base/ and mesh/; postprocess/ includes nothing from solver/, study/,
    app/; the library (everything but app/) includes nothing from app/.
Size rules (reported; exit 1 only for files and functions that are not in
the list of known exceptions below, so the list can only shrink):
  - no source file over MAX_FILE lines, no function over MAX_FUNCTION lines.

Usage: scripts/check_layout.py [ROOT]   (default: the repository root)
"""
import os
import re
import sys

MAX_FILE = 700
MAX_FUNCTION = 150
LIBRARY_DIRS = ["base", "mesh", "solver", "postprocess", "study", "app"]

# Remaining exceptions (path, or path:function) and why: README, "Layout".
KNOWN_LONG_FILES = set()
KNOWN_LONG_FUNCTIONS = set()  # filled from the first run; see README

ALLOWED = {
    "base": {"base"},
    "mesh": {"base", "mesh"},
    "postprocess": {"base", "mesh", "postprocess"},
    "study": {"base", "mesh", "postprocess", "solver", "study"},
    "solver": {"base", "mesh", "postprocess", "solver"},
    "app": {"base", "mesh", "postprocess", "solver", "study", "app"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*<((?:%s)/[^>]+)>' % "|".join(LIBRARY_DIRS))
CONTROL = re.compile(r'^(if|for|while|switch|catch|do|else|try|return)\b')
SCOPE = re.compile(r'\b(namespace|class|struct|enum|union)\b')


def sources(root):
    for top in LIBRARY_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith((".h", ".cc")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def strip(text):
    """Remove comments, string and character literals, keep line breaks."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, last line) of every outermost function body."""
    code = strip(text)
    stack = []  # per open brace: True if it is a scope (namespace/class/...)
    head_start, found = 0, []
    line = 1
    open_fn = None  # (name, start line, depth)
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            head = code[head_start:i]
            head_flat = " ".join(head.split())
            in_scope = all(stack)
            is_scope = bool(SCOPE.search(head_flat)) and "(" not in head_flat.split("{")[0] \
                or head_flat.startswith(("namespace", "extern \"\""))
            if in_scope and not is_scope and "(" in head_flat and open_fn is None \
                    and not CONTROL.match(head_flat) and "=" not in head_flat.split("(")[0]:
                m = re.search(r'([~\w:]+(?:operator\s*\S+)?)\s*\(', head_flat)
                start = line - head.count("\n") + (len(head) - len(head.lstrip())) \
                    and line - head.lstrip().count("\n")
                open_fn = (m.group(1) if m else "?", start, len(stack))
            stack.append(is_scope and in_scope)
            head_start = i + 1
        elif c == "}":
            if stack:
                stack.pop()
            if open_fn and len(stack) == open_fn[2]:
                found.append((open_fn[0], open_fn[1], line))
                open_fn = None
            head_start = i + 1
        elif c == ";":
            head_start = i + 1
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    root = os.path.abspath(root)
    files = sorted(sources(root))
    graph, errors, notes = {}, [], []
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            text = fh.read()
        top = f.split("/")[0]
        deps = []
        for ln in text.splitlines():
            m = INCLUDE.match(ln)
            if m:
                dep = m.group(1)
                deps.append(dep)
                if dep.split("/")[0] not in ALLOWED[top]:
                    errors.append("%s includes %s (%s/ may include only %s)"
                                  % (f, dep, top, ", ".join(sorted(ALLOWED[top]))))
                if not os.path.exists(os.path.join(root, dep)):
                    errors.append("%s includes %s, which does not exist" % (f, dep))
        graph[f] = deps
        n = text.count("\n")
        if n > MAX_FILE:
            (notes if f in KNOWN_LONG_FILES else errors).append(
                "%s: %d lines (limit %d)" % (f, n, MAX_FILE))
        for name, a, b in functions(text):
            if b - a + 1 > MAX_FUNCTION:
                key = "%s:%s" % (f, name)
                (notes if key in KNOWN_LONG_FUNCTIONS else errors).append(
                    "%s: function %s is %d lines (%d-%d, limit %d)"
                    % (f, name, b - a + 1, a, b, MAX_FUNCTION))
    # Cycles among headers (a .cc including its own header is no cycle).
    state = {}

    def visit(node, path):
        state[node] = 1
        for dep in graph.get(node, []):
            if state.get(dep) == 1:
                cyc = path[path.index(dep):] + [dep] if dep in path else [node, dep]
                errors.append("include cycle: " + " -> ".join(cyc))
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for f in files:
        if f not in state:
            visit(f, [f])
    for n in notes:
        print("known exception: " + n)
    for e in errors:
        print("error: " + e)
    print("%d files checked: %d error(s), %d known exception(s)"
          % (len(files), len(errors), len(notes)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

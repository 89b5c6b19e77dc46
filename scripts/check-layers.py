#!/usr/bin/env python3
"""Print every import circle between the crate's source files.

A module is a file (`foo/mod.rs` is the module `foo`). An edge A -> B means a
`use` or an inline path in A names something in B, written as `crate::...`,
`super::...`, `self::...` or as a child module of A by its bare name. Comments,
string literals and `#[cfg(test)]` items (and files declared under one) are
left out: test modules may import from above.

Every strongly connected component of more than one file is printed with the
edges inside it. Exits 1 if there is any, 0 otherwise. A circle that stays
within one folder (a `mod.rs` or `foo.rs` and the files of `foo/`, as when the
children implement a trait of the parent, which names them) is marked so; with
--allow-family such circles are printed but do not fail the check.

Usage: scripts/check-layers.py [--allow-family] [SRC_DIR]
       (SRC_DIR defaults to src/ beside this script)
"""

import os
import re
import sys

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip_comments_and_strings(text):
    """Blank out comments, string and char literals, keeping the rest."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            out.append(" ")
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not (
            i and (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            i = n if j < 0 else j + len(end)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            if m:
                i += m.end()
                out.append("' '")
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def skip_item(text, i):
    """Index just past the item starting at i (ends at `;` or a balanced `{}`)."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == ";":
            return i + 1
        if c == "{":
            depth = 0
            while i < n:
                if text[i] == "{":
                    depth += 1
                elif text[i] == "}":
                    depth -= 1
                    if depth == 0:
                        return i + 1
                i += 1
            return n
        i += 1
    return n


CFG_TEST = re.compile(r"#\[cfg\(test\)\]")
ATTR = re.compile(r"\s*#\[[^\]]*\]")


def remove_test_items(text):
    """Drop every item under `#[cfg(test)]`; return (text, test module names)."""
    test_mods = set()
    out, pos = [], 0
    for m in CFG_TEST.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos:m.start()])
        i = m.end()
        while True:
            a = ATTR.match(text, i)
            if not a:
                break
            i = a.end()
        decl = re.match(r"\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text[i:])
        if decl:
            test_mods.add(decl.group(1))
        pos = skip_item(text, i)
    out.append(text[pos:])
    return "".join(out), test_mods


def module_files(src):
    """Map module path (tuple) -> file path, for every .rs under src."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            if rel in (["lib"], ["main"]):
                rel = []
            if path.endswith("main.rs") and root == src:
                continue  # the binary is its own crate
            mods[tuple(rel)] = path
    return mods


def expand_use_tree(tree):
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]] (segments only)."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    paths = []

    def walk(prefix, s):
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += ch == "{"
            depth -= ch == "}"
            cur += ch
        parts.append(cur)
        for p in parts:
            p = p.strip()
            if not p:
                continue
            brace = p.find("{")
            if brace >= 0:
                head = [x for x in p[:brace].split("::") if x]
                walk(prefix + head, p[brace + 1:p.rfind("}")])
            else:
                segs = [x for x in p.split("::") if x]
                paths.append(prefix + segs)

    walk([], tree)
    return paths


USE = re.compile(r"\buse\s+([^;]+);")
INLINE = re.compile(r"(?<![\w:])((?:crate|super|self)(?:\s*::\s*(?:super|\w+))+)")


def resolve(mods, here, segs, children):
    """Absolute module (tuple) that the path `segs`, written in `here`, names."""
    if not segs:
        return None
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base, rest = here, segs
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    elif segs[0] in children:
        base, rest = here, segs
    else:
        return None
    best = base
    for k in range(1, len(rest) + 1):
        cand = tuple(base) + tuple(rest[:k])
        if cand in mods:
            best = cand
        else:
            break
    return tuple(best)


def name(mod):
    return "::".join(mod) if mod else "crate (lib.rs)"


def main():
    args = sys.argv[1:]
    allow_family = "--allow-family" in args
    args = [a for a in args if a != "--allow-family"]
    here_dir = os.path.dirname(os.path.abspath(__file__))
    src = args[0] if args else os.path.join(here_dir, "..", "src")
    mods = module_files(src)

    texts, test_children = {}, {}
    for mod, path in mods.items():
        with open(path, encoding="utf-8") as f:
            text = strip_comments_and_strings(f.read())
        text, tests = remove_test_items(text)
        texts[mod] = text
        test_children[mod] = tests

    # A file declared under #[cfg(test)] (and everything below it) is test code.
    test_mods = set()
    for mod, tests in test_children.items():
        for t in tests:
            test_mods.add(mod + (t,))
    for mod in list(mods):
        if any(mod[:k] in test_mods for k in range(1, len(mod) + 1)):
            test_mods.add(mod)

    edges = {}
    for mod, text in texts.items():
        if mod in test_mods:
            continue
        children = {m[-1] for m in mods if len(m) == len(mod) + 1 and m[:-1] == mod}
        paths = []
        for m in USE.finditer(text):
            paths.extend(expand_use_tree(m.group(1)))
        for m in INLINE.finditer(text):
            paths.append([s.strip() for s in m.group(1).split("::")])
        for child in children:
            # A child module named by its bare name: `child::item`.
            for m in re.finditer(r"(?<![\w:])" + child + r"\s*::\s*\w+", text):
                paths.append([s.strip() for s in m.group(0).split("::")])
        for segs in paths:
            target = resolve(mods, mod, segs, children)
            if target is None or target == mod or target in test_mods or target == ():
                continue
            edges.setdefault(mod, {}).setdefault(target, "::".join(segs))

    nodes = [m for m in mods if m not in test_mods]
    sccs = tarjan(nodes, edges)
    circles = [sorted(c) for c in sccs if len(c) > 1]
    circles.sort(key=lambda c: (-len(c), c))
    if not circles:
        print("No import circles.")
        return 0
    failing = families = 0
    for i, comp in enumerate(circles, 1):
        members = set(comp)
        top = min(comp, key=len)
        family = all(m[:len(top)] == top for m in comp)
        failing += not (family and allow_family)
        families += family
        note = f" (all within {name(top)}: a parent and its children)" if family else ""
        print(f"Circle {i}: {len(comp)} files{note}")
        for m in comp:
            print(f"  {os.path.relpath(mods[m], os.path.join(src, '..'))}")
        print("  edges inside it:")
        for m in comp:
            for t, via in sorted(edges.get(m, {}).items()):
                if t in members:
                    print(f"    {name(m)} -> {name(t)}    ({via})")
        print()
    print(f"{len(circles)} import circle(s), {families} of them within one folder.")
    return 1 if failing else 0


def tarjan(nodes, edges):
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in nodes:
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())

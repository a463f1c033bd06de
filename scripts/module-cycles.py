#!/usr/bin/env python3
"""Finds modules that import each other in a cycle, within each crate's src/ (test modules
excluded). A module is a file; `use crate::a::b`, `super::`, `self::` and child-module paths are
resolved to the file that defines the longest matching module path. Prints each cycle with its
edges and exits 1 if there is any; exits 0 otherwise.

    python3 scripts/module-cycles.py api/src domain/src migration/src
"""
import os
import re
import sys


def modules(root):
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(folder, name)
                parts = os.path.relpath(path, root)[:-3].split(os.sep)
                if parts[-1] in ("mod", "lib", "main"):
                    parts = parts[:-1]
                found[tuple(parts)] = path
    return found


def imports(module, path, files):
    def resolve(parts):
        for i in range(len(parts), 0, -1):
            if tuple(parts[:i]) in files:
                return tuple(parts[:i])
        return None

    source = open(path, encoding="utf-8").read()
    cut = source.find("#[cfg(test)]")
    if cut >= 0:
        source = source[:cut]
    source = re.sub(r"//.*", "", source)
    parent = list(module[:-1])
    targets = set()

    def add(base, rest, group):
        path = base + [p for p in rest.split("::") if p]
        names = [g.strip().split("::")[0] for g in (group or "").split(",") if g.strip()]
        for candidate in ([path + [n] for n in names] if names else [path]):
            target = resolve(candidate)
            if target is not None and target != module:
                targets.add(target)

    for m in re.finditer(r"\b(crate|super|self)((?:::\w+)+)(?:::\{([^}]*)\})?", source):
        kind, rest, group = m.groups()
        if kind == "crate":
            base = []
        elif kind == "super":
            base = parent[:]
            while rest.startswith("::super"):
                rest, base = rest[len("::super"):], base[:-1]
        else:
            base = list(module)
        add(base, rest, group)
    # A child module named at the start of a path, in a `use` or anywhere in the code.
    for m in re.finditer(r"(?<![\w:])(\w+)((?:::\w+)+)(?:::\{([^}]*)\})?", source):
        first, rest, group = m.groups()
        if tuple(list(module) + [first]) in files:
            add(list(module) + [first], rest, group)
    return targets


def cycles(edges):
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return found


def main(roots):
    bad = 0
    for root in roots:
        files = modules(root)
        edges = {m: imports(m, p, files) for m, p in files.items()}
        for component in cycles(edges):
            bad += 1
            names = sorted("/".join(m) for m in component)
            print(f"{root}: modules in a cycle: {', '.join(names)}")
            for a in component:
                for b in sorted(edges[a]):
                    if b in component:
                        print(f"    {'/'.join(a)} -> {'/'.join(b)}")
    if bad:
        return 1
    print(f"no module cycles in {', '.join(roots)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["api/src", "domain/src", "migration/src"]))

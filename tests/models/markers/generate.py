"""Seeded random markers (hypothesis is not a dependency): the shapes real metadata uses, and
deeper ones that stress the algebra. Deterministic for a given seed, so fixtures generated from
them (``make_corpus.py``) stay reproducible."""

from __future__ import annotations

import random
from collections.abc import Callable

Atom = Callable[[random.Random], str]

#: Comparisons as they appear in real ``Requires-Dist`` metadata.
REALISTIC: list[Atom] = [
    lambda r: f'python_version {r.choice(["<", ">="])} "3.{r.randint(8, 14)}"',
    lambda r: f'python_version {r.choice(["<", ">="])} "3.{r.randint(8, 14)}"',
    lambda r: (f'python_full_version {r.choice(["<", ">="])} '
               f'"3.{r.randint(9, 12)}.{r.randint(1, 4)}"'),
    lambda r: f'python_version == "3.{r.randint(8, 13)}"',
    lambda r: (f'sys_platform {r.choice(["==", "!="])} '
               f'"{r.choice(["linux", "win32", "darwin", "emscripten", "cygwin"])}"'),
    lambda r: (f'platform_system {r.choice(["==", "!="])} '
               f'"{r.choice(["Windows", "Linux", "Darwin"])}"'),
    lambda r: f'os_name {r.choice(["==", "!="])} "nt"',
    lambda r: (f'platform_machine {r.choice(["==", "!="])} '
               f'"{r.choice(["x86_64", "aarch64", "arm64", "AMD64"])}"'),
    lambda r: (f'platform_python_implementation {r.choice(["==", "!="])} '
               f'"{r.choice(["CPython", "PyPy"])}"'),
    lambda r: f'implementation_name {r.choice(["==", "!="])} "{r.choice(["cpython", "pypy"])}"',
]

#: Every operator and key, including the rarely used ones.
STRESS: list[Atom] = [
    lambda r: (f'python_version {r.choice(["==", "!=", "<", "<=", ">", ">="])} '
               f'"3.{r.randint(6, 14)}"'),
    lambda r: (f'python_version {r.choice(["==", "!=", "<", "<=", ">", ">="])} '
               f'"3.{r.randint(6, 14)}"'),
    lambda r: (f'python_full_version {r.choice(["==", "!=", "<", "<=", ">", ">="])} '
               f'"3.{r.randint(7, 13)}.{r.randint(0, 3)}"'),
    lambda r: (f'python_version {r.choice(["in", "not in"])} "' + " ".join(
        "3." + str(v) for v in sorted(r.sample(range(7, 14), r.randint(1, 3)))) + '"'),
    lambda r: f'python_version ~= "3.{r.randint(7, 12)}"',
    lambda r: (f'sys_platform {r.choice(["==", "!="])} '
               f'"{r.choice(["linux", "win32", "darwin", "cygwin", "emscripten", "ios"])}"'),
    lambda r: f'sys_platform {r.choice(["==", "!="])} "{r.choice(["linux", "win32", "darwin"])}"',
    lambda r: (f'platform_system {r.choice(["==", "!="])} '
               f'"{r.choice(["Windows", "Linux", "Darwin", "FreeBSD", "Java"])}"'),
    lambda r: f'os_name {r.choice(["==", "!="])} "{r.choice(["nt", "posix", "java"])}"',
    lambda r: (f'platform_machine {r.choice(["==", "!="])} '
               f'"{r.choice(["x86_64", "aarch64", "arm64", "AMD64", "i686", "ppc64le"])}"'),
    lambda r: f'platform_machine {r.choice(["in", "not in"])} "x86_64 aarch64 AMD64"',
    lambda r: (f'platform_python_implementation {r.choice(["==", "!="])} '
               f'"{r.choice(["CPython", "PyPy"])}"'),
    lambda r: f'implementation_name {r.choice(["==", "!="])} "{r.choice(["cpython", "pypy"])}"',
    lambda r: f'"{r.choice(["linux", "win", "darwin"])}" {r.choice(["in", "not in"])} sys_platform',
]


def realistic(seed: int, count: int, atoms: list[Atom] = REALISTIC) -> list[str]:
    """Disjunctions of one to four conjunctions of one to three comparisons (the shape of a
    pin's marker: one conjunction per path to it)."""
    r = random.Random(seed)
    out = []
    for _ in range(count):
        clauses = [" and ".join(r.choice(atoms)(r) for _ in range(r.randint(1, 3)))
                   for _ in range(r.randint(1, 4))]
        out.append(" or ".join(f"({c})" if " and " in c and len(clauses) > 1 else c
                               for c in clauses))
    return out


def stress(seed: int, count: int, atoms: list[Atom] = STRESS) -> list[str]:
    """Nested ``and``/``or`` of every kind of comparison, up to three levels deep."""
    r = random.Random(seed)

    def expression(depth: int) -> str:
        if depth == 0 or r.random() < 0.3:
            return r.choice(atoms)(r)
        parts = [expression(depth - 1) for _ in range(r.randint(2, 3))]
        parts = [f"({p})" if (" and " in p or " or " in p) else p for p in parts]
        return f" {r.choice(['and', 'or'])} ".join(parts)

    return [expression(3) for _ in range(count)]

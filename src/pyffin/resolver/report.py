"""Explain why requirements are unsatisfiable, uv-style, from the solver's derivation tree.

The tree nab-resolver proves (incompatibilities and the two causes each derived one came from) is
walked the way PubGrub's reporters do: a chain of "Because …, we can conclude that …" / "And
because …" sentences, with a numbered line ``(1)`` where a conclusion is reused later ("we know
from (1) that …"). The wording and version-set display follow uv: ``you require b<2.0``,
``a==1.0 depends on b>=2.0``, ``all versions of a depend on b``, ``only b<=1.5 is available``,
``c was not found in the package registry``, ``the current Python version (3.11.7) does not
satisfy Python>=3.12``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from nab_resolver.ranges import NEGATIVE_INFINITY, POSITIVE_INFINITY, Range
from nab_resolver.root import ROOT
from nab_resolver.types import Incompatibility, IncompatibilityCause, Term

from pyffin.models.versions import Version
from pyffin.records import record
from pyffin.resolver.errors import PackageNotFoundError
from pyffin.resolver.provider import Unavailable, split_key
from pyffin.resolver.ranges import (
    FULL,
    VersionSet,
    after_locals,
    format_range,
    intervals,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pyffin.resolver.source import Dropped


#: How many unreadable or unbuildable versions the hints name.
_MAX_FAILURES = 3


@record(frozen=False, eq=False)
class _External:
    """A fact from outside the derivation, rendered as one clause of a sentence."""

    text: str
    #: For merging two dependencies of one package into one clause ("a depends on b and c");
    #: ``""`` for the user's requirements.
    parent: str | None = None
    parent_range: VersionSet | None = None
    dependency: str | None = None
    #: Where a requirement of the user's stands among them.
    position: int = 0
    #: Only says which versions exist ("only b<=1.5 is available").
    availability: bool = False
    #: The package the fact is about ("b" in "b==1.0 depends on c", "there is no version of
    #: b==1.0"), and the one a dependency names ("c"): see :func:`_both`.
    subject: str | None = None
    requires: str | None = None
    #: A requirement of the user's: the versions of :attr:`requires` it allows.
    required: VersionSet | None = None


@record(frozen=False, eq=False)
class _Derived:
    """A conclusion and the two facts or conclusions it came from."""

    terms: str
    cause1: _External | _Derived
    cause2: _External | _Derived
    #: Set when the conclusion is used more than once, so later uses can refer to its line.
    shared: bool = False
    line: int | None = None


class Facts(Protocol):
    """What the explanation needs to know beyond the derivation (the provider knows it)."""

    @property
    def python_target(self) -> str:
        """The Python versions resolved for, as a clause names them: ``the target Python
        version (3.11.7)``."""
        ...

    @property
    def requires_python(self) -> str | None:
        """The requires-python of a universal resolution (``>=3.9``): a version that needs a
        newer Python earns uv's hint to narrow it. ``None`` otherwise."""
        ...

    @property
    def requested_python(self) -> str | None:
        """``--python-version`` where it is not the interpreter's (``>=3.11``): a version that
        needs a newer Python earns uv's hint to raise it. ``None`` otherwise."""
        ...

    def available(self, name: str) -> list[Version]:
        """The versions of ``name`` that exist as far as the reader is concerned, ascending."""
        ...

    def hidden_prereleases(self, name: str, version_range: VersionSet) -> list[Version]:
        """Pre-releases in ``version_range`` that the pre-release policy kept out."""
        ...

    def narrow(self, name: str, versions: VersionSet) -> VersionSet:
        """``versions`` reduced to the runs of known versions it holds (same known versions)."""
        ...

    def simplify(self, name: str, versions: VersionSet) -> VersionSet:
        """A requirement's ``versions`` as uv shows them (same known versions; its bounds
        kept, but where no known version lies beyond them)."""
        ...

    def unchecked_index(self, name: str) -> tuple[str, str] | None:
        """See :meth:`~pyffin.resolver.source.PackageSource.unchecked_index`."""
        ...


def explain(root: Incompatibility[Any, Any], provider: Facts) -> tuple[str, tuple[str, ...]]:
    """The explanation of a failed resolution, and hints to follow it."""
    builder = _TreeBuilder(provider)
    tree = builder.convert(root)
    if isinstance(tree, _External):
        return _capitalize(tree.text) + ".", builder.hints()
    return "\n".join(_Reporter().report(tree)), builder.hints()


class _TreeBuilder:
    """Turns nab's incompatibilities into sentences' parts, sharing reused conclusions."""

    def __init__(self, provider: Facts) -> None:
        self._provider = provider
        self._nodes: dict[int, _External | _Derived | None] = {}
        self._uses: dict[int, int] = {}
        self._prerelease_hints: dict[str, Version] = {}
        self._not_found: dict[str, PackageNotFoundError] = {}
        #: By project and reason: one of each (uv gives both an ABI and a platform hint).
        self._file_hints: dict[tuple[str, str], str] = {}
        self._failures: dict[str, str] = {}
        self._python_hint: str | None = None

    def convert(self, root: Incompatibility[Any, Any]) -> _External | _Derived:
        """The tree of sentences' parts for ``root``, each cause converted before its use."""
        stack: list[tuple[Incompatibility[Any, Any], bool]] = [(root, False)]
        while stack:
            incompatibility, causes_done = stack.pop()
            if id(incompatibility) in self._nodes:
                continue
            left, right = incompatibility.cause_left, incompatibility.cause_right
            if causes_done or left is None or right is None:
                self._nodes[id(incompatibility)] = self._convert(incompatibility)
                continue
            stack.append((incompatibility, True))
            stack += [(cause, False) for cause in (right, left) if id(cause) not in self._nodes]
        node = self._nodes[id(root)]
        assert node is not None, "a proof is never only local-version artifacts"
        return node

    def _use(self, node: _External | _Derived) -> _External | _Derived:
        """Count a use of ``node`` as a cause; a conclusion used twice gets a line number."""
        if isinstance(node, _Derived):
            uses = self._uses[id(node)] = self._uses.get(id(node), 0) + 1
            node.shared = uses > 1
        return node

    def hints(self) -> tuple[str, ...]:
        hints = [
            f"Pre-releases are available for `{name}` in the requested range (e.g., {version}), "
            "but pre-releases weren't enabled (try: `--prerelease=allow`)"
            for name, version in sorted(self._prerelease_hints.items())
        ]
        hints += [f"`{name}`: {error.detail}" for name, error in sorted(self._not_found.items())]
        if self._python_hint is not None:
            hints.append(self._python_hint)
        # By project; a project's in the order the explanation met them (a stable sort).
        hints += [hint for _, hint in sorted(self._file_hints.items(), key=lambda kv: kv[0][0])]
        failures = sorted(self._failures.items())
        hints += [f"`{pin}`: {_summary(message)}" for pin, message in failures[:_MAX_FAILURES]]
        if len(self._failures) > _MAX_FAILURES:
            hints.append(f"... and {len(self._failures) - _MAX_FAILURES} more versions that "
                         "could not be read or built (-v shows each)")
        if failures:
            from pyffin.build.diagnosis import suggestion

            suggestions = (suggestion(message) for _, message in failures)
            hints += dict.fromkeys(found for found in suggestions if found)
        return tuple(hints)

    def _convert(
        self, incompatibility: Incompatibility[Any, Any]
    ) -> _External | _Derived | None:
        cause = incompatibility.cause
        left, right = incompatibility.cause_left, incompatibility.cause_right
        if cause is IncompatibilityCause.DERIVED and left is not None and right is not None:
            first, second = self._nodes[id(left)], self._nodes[id(right)]
            # A step that only rules out local versions (``==1.0`` admits ``1.0+cpu``), or that
            # a proxy package stands where its project does, says nothing a reader needs: show
            # the other cause in its place, as uv does.
            if first is None or second is None:
                return second if first is None else first
            conclusion = _format_terms(self._narrowed(incompatibility.terms))
            # Combining a fact with "only these versions exist" may conclude what the fact
            # already said once versions read as the ones that exist: skip the step.
            for node, other in ((first, second), (second, first)):
                if (isinstance(other, _External) and other.availability
                        and _said(node) == conclusion):
                    return node
            return _Derived(conclusion, self._use(first), self._use(second))
        if isinstance(incompatibility, Unavailable):
            if incompatibility.kind == "no-versions" and _only_locals(
                    _versions(incompatibility.terms[0])):
                return None
            return self._unavailable(incompatibility)
        terms = incompatibility.terms
        if cause is IncompatibilityCause.ROOT:
            dependency = self._simplify_term(_dependency_term(terms))
            position = incompatibility.origin if isinstance(incompatibility.origin, int) else 0
            return _External(f"you require {_requirement(dependency)}", parent="",
                             dependency=_requirement(dependency), position=position,
                             requires=dependency.package, required=_versions(dependency))
        if cause is IncompatibilityCause.DEPENDENCY and len(terms) == 2:
            parent, dependency = (terms if terms[0].is_positive() else terms[::-1])
            if (parent.package is not ROOT and parent.package != dependency.package
                    and split_key(parent.package)[0] == dependency.package):
                # ``foo[x]`` or a marker proxy ``foo{...}`` standing where ``foo`` does: as
                # uv, the explanation shows the other cause in the step's place.
                return None
            # The solver widens a decision to the versions around it that do not exist.
            parent = self._narrow_term(parent)
            text = _requirement(self._simplify_term(Term(dependency.package,
                                                         dependency.constraint)))
            return _External(_depends_on(parent.package, _versions(parent), text),
                             parent=parent.package, parent_range=_versions(parent),
                             dependency=text, subject=parent.package,
                             requires=dependency.package)
        # Nothing else reaches here with the provider's clauses; say what the terms say.
        if len(terms) == 1 and terms[0].is_positive():
            return _External(self._no_versions(terms[0].package, _versions(terms[0])),
                             subject=terms[0].package)
        return _External(_format_terms(terms))

    def _narrow_term(self, term: Term[Any, Any]) -> Term[Any, Any]:
        """A positive term over the versions that exist (decisions are widened to the gaps
        around them); a negative one is a requirement as written, simplified as uv does."""
        if term.package is ROOT:
            return term
        if not term.is_positive():
            return self._simplify_term(term)
        versions = _versions(term)
        narrowed = self._provider.narrow(split_key(term.package)[0], versions)
        if narrowed is versions:
            return term
        return Term(term.package, narrowed, positive=True)

    def _simplify_term(self, term: Term[Any, Any]) -> Term[Any, Any]:
        """A requirement as uv shows it: ``b>=2.0`` for ``b>=2.0,<3`` when no known version
        of b is 3 or above."""
        versions = _versions(term)
        simplified = self._provider.simplify(split_key(term.package)[0], versions)
        if simplified is versions:
            return term
        return Term(term.package, simplified, positive=term.is_positive())

    def _narrowed(self, terms: Sequence[Term[Any, Any]]) -> list[Term[Any, Any]]:
        return [self._narrow_term(term) for term in terms]

    def _unavailable(self, fact: Unavailable) -> _External | _Derived:
        (term,) = fact.terms
        package, versions = term.package, _versions(term)
        if fact.kind == "not-found":
            assert isinstance(fact.detail, PackageNotFoundError)
            self._not_found[split_key(package)[0]] = fact.detail
            return _External(f"{package} was not found in the package registry",
                             subject=package)
        if fact.kind == "yanked":
            name = split_key(package)[0]
            count = sum(version in versions for version in self._provider.available(name))
            verb = "were" if count > 1 else "was"
            return _External(f"{_compatible(package, versions)} {verb} yanked",
                             subject=package)
        if fact.kind == "files":
            return _External(self._lacking_files(package, versions, fact.detail),
                             subject=package)
        if fact.kind in ("invalid", "build"):
            failures = cast("dict[Version, str]", fact.detail or {})
            for version, message in failures.items():
                self._failures.setdefault(f"{package}=={version}", message)
            count = len(failures) or 1
            if fact.kind == "invalid":
                verb = "have" if count > 1 else "has"
                return _External(f"{_compatible(package, versions)} {verb} invalid metadata",
                                 subject=package)
            return _External(f"{_compatible(package, versions)} could not be built",
                             subject=package)
        if fact.kind == "constraint":
            required = fact.detail
            assert isinstance(required, Range)
            return _External(f"your constraints require {package}{format_range(required)}")
        if fact.kind == "platform":
            subject = _compatible(package, versions)
            has = "has" if _pinned(versions) else "have"
            return _External(f"{subject} {has} no `{fact.detail}`-compatible wheels",
                             subject=package)
        if fact.kind == "python":
            specifier = "".join(str(fact.detail).split())
            target = _External(
                f"{self._provider.python_target} does not satisfy Python{specifier}")
            dependency = _External(_depends_on(package, versions, f"Python{specifier}"))
            requires_python = self._provider.requires_python
            requested_python = self._provider.requested_python
            if self._python_hint is None and (requires_python or requested_python):
                supports = "support" if _plural(versions) else "supports"
                example = f"{_compatible(split_key(package)[0], versions)} only {supports}"
                self._python_hint = (
                    f"The `requires-python` value ({requires_python}) includes Python versions "
                    f"that are not supported by your dependencies (e.g., {example} "
                    f"{specifier}). Consider using a more restrictive `requires-python` value "
                    f"(like {specifier})." if requires_python is not None else
                    f"The `--python-version` value ({requested_python}) includes Python "
                    f"versions that are not supported by your dependencies (e.g., {example} "
                    f"{specifier}). Consider using a higher `--python-version` value.")
            return _Derived(f"{_compatible(package, versions)} cannot be used", target, dependency)
        return _External(self._no_versions(package, versions), availability=True,
                         subject=package)

    def _lacking_files(self, package: str, versions: VersionSet, detail: object) -> str:
        """uv's words for versions the target has no file for, and its hint."""
        newest = cast("Dropped", detail)
        name = split_key(package)[0]
        subject = _compatible(package, versions)
        # The verb agrees with the subject as uv writes it: plural for several ranges or for
        # all versions ("pywin32<=302 has no wheels ...").
        has = "have" if _plural(versions) else "has"
        found = ", ".join(f"`{tag}`" for tag in newest.found)
        plural = "s" if len(newest.found) > 1 else ""
        at = f"`{name}` (v{newest.version})"
        expected = newest.expected
        if newest.reason == "no-build":
            scope = "all packages" if newest.expected.endswith(":all:") or (
                newest.expected == "--no-build") else f"`{name}`"
            self._file_hints.setdefault((name, newest.reason), (
                f"Wheels are required for `{name}` because building from source is disabled "
                f"for {scope} (i.e., with `{newest.expected}`)"))
            return f"{subject} {has} no usable wheels"
        if newest.reason == "no-binary":
            scope = "all packages" if newest.expected.endswith(":all:") else f"`{name}`"
            self._file_hints.setdefault((name, newest.reason), (
                f"A source distribution is required for `{name}` because using pre-built "
                f"wheels is disabled for {scope} (i.e., with `{newest.expected}`)"))
            return f"{subject} {has} no source distribution"
        if newest.reason == "platform-tag":
            if found:
                self._file_hints.setdefault((name, newest.reason), (
                    f"Wheels are available for {at} on the following platform{plural}: {found}"))
            return (f"{subject} {has} no wheels with a matching platform tag "
                    f"(e.g., `{expected}`)")
        kind = "Python ABI" if newest.reason == "abi-tag" else "Python implementation"
        if found:
            self._file_hints.setdefault((name, newest.reason), (
                f"You require {_pretty(expected)}, but we only found wheels for {at} with the "
                f"following {kind} tag{plural}: {found}"))
        return f"{subject} {has} no wheels with a matching {kind} tag (e.g., `{expected}`)"

    def _no_versions(self, package: str, versions: VersionSet) -> str:
        name = split_key(package)[0]
        hidden = self._provider.hidden_prereleases(name, versions)
        if hidden:
            self._prerelease_hints.setdefault(name, max(hidden))
        unchecked = None if versions == FULL else self._provider.unchecked_index(name)
        if unchecked is not None:
            found, following = unchecked
            self._file_hints.setdefault((name, "unchecked-index"), (
                f"`{name}` was found on {found}, but not at the requested version "
                f"({_compatible(name, versions)}). A compatible version may be available on a "
                f"subsequent index (e.g., {following}). By default, pyffin will only consider "
                "versions that are published on the first index that contains a given "
                "package, to avoid dependency confusion attacks. If all indexes are equally "
                "trusted, use `--index-strategy unsafe-best-match` to consider all versions "
                "from all indexes, regardless of the order in which they were defined."))
        if versions == FULL:
            return f"there are no versions of {package}"
        if _pinned(versions):
            return f"there is no version of {package}{format_range(versions)}"
        available = _availability(~versions, self._provider.available(name))
        if available.is_empty:
            return f"there are no versions of {package}"
        verb = "are" if len(intervals(available)) > 1 else "is"
        return f"only {package}{format_range(available)} {verb} available"


class _Reporter:
    """PubGrub's report walk: explain each conclusion from its causes, numbering reused ones.

    The walk is the usual recursive one written with an explicit stack of steps (a derivation
    gains a level per conflict, deeper than Python's recursion limit allows): a step either
    expands a conclusion into further steps or writes a line. A step decides what it does when it
    runs, as the recursive call would, since a line number given by an earlier step changes it.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._count = 0
        self._steps: list[Callable[[], None]] = []

    def report(self, root: _Derived) -> list[str]:
        self._then(lambda: self._build(root))
        while self._steps:
            self._steps.pop()()
        return self.lines

    def _then(self, *steps: Callable[[], None]) -> None:
        """Run ``steps`` in order, before anything scheduled earlier."""
        self._steps.extend(reversed(steps))

    def _line(self, text: Callable[[], str]) -> Callable[[], None]:
        return lambda: self.lines.append(text())

    def _build(self, node: _Derived) -> None:
        self._then(lambda: self._explain(node), lambda: self._number_if_shared(node))

    def _number_if_shared(self, node: _Derived) -> None:
        if node.shared and node.line is None:
            self._number(node)

    def _number(self, node: _Derived) -> None:
        self._count += 1
        node.line = self._count
        self.lines[-1] += f" ({self._count})"

    def _explain(self, node: _Derived) -> None:
        cause1, cause2, conclusion = node.cause1, node.cause2, node.terms
        if isinstance(cause1, _External) and isinstance(cause2, _External):
            self.lines.append(
                f"Because {_both(cause1, cause2)}, we can conclude that {conclusion}.")
        elif isinstance(cause1, _Derived) and isinstance(cause2, _External):
            self._one_each(cause1, cause2, conclusion)
        elif isinstance(cause1, _External) and isinstance(cause2, _Derived):
            self._one_each(cause2, cause1, conclusion)
        else:
            assert isinstance(cause1, _Derived) and isinstance(cause2, _Derived)
            self._both_derived(cause1, cause2, conclusion)

    def _both_derived(self, first: _Derived, second: _Derived, conclusion: str) -> None:
        if first.line is not None and second.line is not None:
            self.lines.append(
                f"Because we know from ({first.line}) that {first.terms} and we know from "
                f"({second.line}) that {second.terms}, we can conclude that {conclusion}.")
        elif first.line is not None or second.line is not None:
            known, other = (first, second) if first.line is not None else (second, first)
            self._then(
                lambda: self._build(other),
                self._line(lambda: f"And because we know from ({known.line}) that "
                                   f"{known.terms}, we can conclude that {conclusion}."),
            )
        else:
            # Two independent branches: explain the first, number it, then the second.
            self._then(
                lambda: self._build(first),
                lambda: None if first.line is not None else self._number(first),
                self._line(lambda: ""),
                lambda: self._build(second),
                self._line(lambda: f"And because we know from ({first.line}) that "
                                   f"{first.terms}, we can conclude that {conclusion}."),
            )

    def _one_each(self, derived: _Derived, external: _External, conclusion: str) -> None:
        if derived.line is not None:
            self.lines.append(
                f"Because we know from ({derived.line}) that {derived.terms} and "
                f"{external.text}, we can conclude that {conclusion}.")
            return
        prior1, prior2 = derived.cause1, derived.cause2
        # A conclusion drawn from one fact and another conclusion reads as one step on.
        if isinstance(prior1, _Derived) and isinstance(prior2, _External):
            prior, fact = prior1, prior2
        elif isinstance(prior1, _External) and isinstance(prior2, _Derived):
            prior, fact = prior2, prior1
        else:
            self._then(
                lambda: self._build(derived),
                self._line(lambda: f"And because {external.text}, we can conclude that "
                                   f"{conclusion}."),
            )
            return
        self._then(
            lambda: self._build(prior),
            self._line(lambda: f"And because {_both(fact, external)}, we can conclude that "
                               f"{conclusion}."),
        )


def _said(node: _External | _Derived) -> str:
    return node.text if isinstance(node, _External) else node.terms


def _both(first: _External, second: _External) -> str:
    """Two facts as one clause; two dependencies of one package share the subject.

    In pubgrub's order, which uv shows: the fact about the package the step rules out comes
    first (the clause in conflict), then the one that brought that package in — "b depends on
    c and a depends on b", "there is no version of b==1.0 and a depends on b==1.0"."""
    if first.requires is not None and first.requires == second.subject \
            and second.requires != first.subject:
        first, second = second, first
    first, second = _as_required(first, second), _as_required(second, first)
    parent = first.parent
    if parent is None or parent != second.parent or first.parent_range != second.parent_range:
        return f"{first.text} and {second.text}"
    if parent == "":
        first, second = sorted((first, second), key=lambda fact: fact.position)
        return f"you require {first.dependency} and {second.dependency}"
    assert first.parent_range is not None
    return _depends_on(parent, first.parent_range, f"{first.dependency} and {second.dependency}")


def _as_required(fact: _External, other: _External) -> _External:
    """A dependency ``fact`` said of the versions ``other``, a requirement of the user's,
    allows: "requests==2.31.0 depends on urllib3" beside "you require requests==2.31.0", not
    the range of versions sharing that dependency that this cache happened to hold."""
    if (other.parent != "" or other.required is None or other.requires != fact.subject
            or fact.parent is None or fact.parent_range is None or fact.dependency is None
            or fact.parent_range == FULL):  # (a project's only version: all its versions)
        return fact
    versions = fact.parent_range & other.required
    if versions.is_empty or versions == fact.parent_range:
        return fact
    return _External(_depends_on(fact.parent, versions, fact.dependency), parent=fact.parent,
                     parent_range=versions, dependency=fact.dependency, subject=fact.subject,
                     requires=fact.requires)


def _format_terms(terms: Sequence[Term[Any, Any]]) -> str:
    """What a conclusion says, in words ("a==1.0 cannot be used", "a depends on b>=2")."""
    has_root = any(term.package is ROOT for term in terms)
    stated = sorted((t for t in terms if t.package is not ROOT), key=lambda t: t.package)
    if not stated:
        return "your requirements are unsatisfiable"
    if len(stated) == 1:
        (term,) = stated
        if term.is_positive() and has_root:  # uv's wording for {root, a}
            return f"your requirements and {_term(term)} are incompatible"
        if term.is_positive():
            return f"{_compatible(term.package, _versions(term))} cannot be used"
        if has_root:
            return f"you require {_requirement(Term(term.package, term.constraint))}"
        return f"{_compatible(term.package, _versions(term))} must be used"
    if len(stated) == 2 and stated[0].is_positive() != stated[1].is_positive():
        parent, dependency = stated if stated[0].is_positive() else stated[::-1]
        text = _requirement(Term(dependency.package, dependency.constraint))
        return _depends_on(parent.package, _versions(parent), text)
    texts = [_term(term) for term in stated]
    return f"{', '.join(texts[:-1])} and {texts[-1]} are incompatible"


def _dependency_term(terms: Sequence[Term[Any, Any]]) -> Term[Any, Any]:
    (dependency,) = [term for term in terms if term.package is not ROOT]
    return Term(dependency.package, dependency.constraint)


def _versions(term: Term[Any, Any]) -> VersionSet:
    """A term's version set (the solver only holds nab ``Range`` values)."""
    return cast("VersionSet", term.constraint)


def _term(term: Term[Any, Any]) -> str:
    if term.is_positive():
        return _compatible(term.package, _versions(term))
    return f"{term.package}{format_range(~_versions(term))}"


def _compatible(package: str, versions: VersionSet) -> str:
    """A package and versions as a subject: ``all versions of a``, ``a>=1.0``."""
    if versions == FULL:
        return f"all versions of {package}"
    return f"{package}{format_range(versions)}"


def _requirement(term: Term[Any, Any]) -> str:
    """A package and versions as an object: ``b``, ``b>=2.0``."""
    return f"{term.package}{format_range(_versions(term))}"


def _depends_on(package: str, versions: VersionSet, dependency: str) -> str:
    verb = "depend on" if _plural(versions) else "depends on"
    return f"{_compatible(package, versions)} {verb} {dependency}"


def _plural(versions: VersionSet) -> bool:
    """Whether a set reads as many versions ("all versions of a", "a<1.0 | >2.0")."""
    return versions == FULL or len(intervals(versions)) > 1


def _pinned(versions: VersionSet) -> bool:
    return format_range(versions).startswith("==") and "|" not in format_range(versions)


def _availability(versions: VersionSet, available: Sequence[Version]) -> VersionSet:
    """``versions`` as a reader wants it: reduced to the versions that exist.

    Each interval shrinks to the first and last version it holds (an unbounded side stays open),
    one holding a single version becomes ``==v``, and one holding none disappears: "only b<2.0 is
    available" reads "only b<=1.5 is available" when 1.5 is the newest, as in uv.
    """
    result: VersionSet = Range.empty()
    for part in intervals(versions):
        segment: VersionSet = Range((part,))
        inside = [version for version in available if version in segment]
        if not inside:
            continue
        lower, _, upper, _ = part
        if len(inside) == 1:
            shown: VersionSet = Range.singleton(inside[0])
        else:
            low = lower if lower is NEGATIVE_INFINITY else inside[0]
            high = upper if upper is POSITIVE_INFINITY else inside[-1]
            bounded = (low is not NEGATIVE_INFINITY, high is not POSITIVE_INFINITY)
            shown = Range(((low, bounded[0], high, bounded[1]),))
        result = result | shown
    return result


def _only_locals(versions: VersionSet) -> bool:
    """Whether a set holds nothing but local versions of one version (``1.0+cpu``, ...)."""
    parts = intervals(versions)
    if len(parts) != 1:
        return False
    lower, lower_inclusive, upper, upper_inclusive = parts[0]
    if not isinstance(lower, Version) or not isinstance(upper, Version) or upper_inclusive:
        return False
    if lower_inclusive and lower.local is None:
        return False
    return upper == after_locals(Version(lower.public))


def _pretty(tag: str) -> str:
    """``cp312`` -> ``CPython 3.12 (`cp312`)``, as uv names the target in a hint."""
    names = {"cp": "CPython", "pp": "PyPy"}
    prefix, digits = tag[:2], tag[2:]
    if prefix in names and digits.isdigit() and len(digits) >= 2:
        return f"{names[prefix]} {digits[0]}.{digits[1:]} (`{tag}`)"
    return f"`{tag}`"


def _summary(message: str) -> str:
    """The first line of an error message (a build's output can run to pages) and, for a
    build's, the line of its output that says what went wrong."""
    lines = message.strip().splitlines() or [""]
    if len(lines) == 1:
        return lines[0].strip()
    from pyffin.build.diagnosis import cause

    found = cause("\n".join(lines[1:]))
    return lines[0].strip() + (f": {found} (-v shows the build's output)" if found else " ...")


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]

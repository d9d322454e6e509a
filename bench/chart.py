"""Bar charts per scenario and a scaling chart, as PNG (matplotlib, imported only here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.catalog import SCENARIOS, STARTUP_SET, TOOL_LABELS, TOOLS, VENV_SET, scaling_size
from bench.report import format_seconds
from bench.results import UNSUPPORTED, Measurement, Results

#: Beyond this ratio between the largest and smallest value, a linear axis hides the small bars.
_LOG_SPREAD = 20.0
_COLORS = {"pip": "#4c72b0", "uv": "#dd8452", "pyffin": "#55a868"}


def write_charts(results: Results, out_dir: Path, link_prefix: str) -> dict[str, str]:
    """Write the PNGs; returns chart key (scenario, ``scaling``) -> ``link_prefix/file``."""
    import matplotlib  # type: ignore[import-not-found, unused-ignore]

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]

    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.png"):
        stale.unlink()
    charts: dict[str, str] = {}
    plain = [
        s for s in results.sets() if s not in (VENV_SET, STARTUP_SET) and scaling_size(s) is None
    ]
    for scenario in SCENARIOS:
        groups = [s for s in plain if scenario in results.scenarios(s)]
        if scenario == "venv" and scenario in results.scenarios(VENV_SET):
            groups = [VENV_SET]
        if not groups:
            continue
        fig = _bars(plt, results, scenario, groups)
        fig.savefig(out_dir / f"{scenario}.png", dpi=110)
        plt.close(fig)
        charts[scenario] = f"{link_prefix}/{scenario}.png"
    scale = sorted(
        (s for s in results.sets() if scaling_size(s)), key=lambda s: scaling_size(s) or 0
    )
    if scale:
        fig = _scaling(plt, results, scale)
        fig.savefig(out_dir / "scaling.png", dpi=110)
        plt.close(fig)
        charts["scaling"] = f"{link_prefix}/scaling.png"
    return charts


def _bars(plt: Any, results: Results, scenario: str, groups: list[str]) -> Any:
    fig, ax = plt.subplots(figsize=(max(5.0, 1.9 * len(groups) + 2.5), 3.8))
    width = 0.8 / len(TOOLS)
    values: list[float] = []
    for i, tool in enumerate(TOOLS):
        for g, set_name in enumerate(groups):
            x = g + (i - (len(TOOLS) - 1) / 2) * width
            m = results.find(set_name, scenario, tool)
            if m is None or not m.ok:
                why = "n/a" if m is not None and m.status == UNSUPPORTED else "failed"
                ax.text(
                    x,
                    0.02,
                    f"{tool}: {why}",
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color="#555555",
                    transform=ax.get_xaxis_transform(),
                )
                continue
            values += [m.min, m.max]
            ax.bar(
                x,
                m.median,
                width,
                color=_COLORS[tool],
                label=TOOL_LABELS[tool],
                yerr=_err([m]),
                capsize=2,
                error_kw={"elinewidth": 0.8},
            )
            ax.annotate(
                format_seconds(m.median),
                (x, m.max),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                fontsize=6.5,
            )
    _scale(ax, values)
    ax.set_xlim(-0.5, len(groups) - 0.5)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.set_ylabel("seconds (median, min-max)")
    ax.set_title(SCENARIOS[scenario].label)
    _dedupe_legend(ax)
    fig.tight_layout()
    return fig


def _scaling(plt: Any, results: Results, sets: list[str]) -> Any:
    scenarios = list(dict.fromkeys(sc for s in sets for sc in results.scenarios(s)))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(5.2 * len(scenarios), 3.8), squeeze=False)
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        values: list[float] = []
        for tool in TOOLS:
            points = [
                (scaling_size(s) or 0, m)
                for s in sets
                if (m := results.find(s, scenario, tool)) is not None and m.ok
            ]
            if not points:
                continue
            measured = [m for _, m in points]
            ax.errorbar(
                [x for x, _ in points],
                [m.median for m in measured],
                yerr=_err(measured),
                marker="o",
                capsize=2,
                color=_COLORS[tool],
                label=TOOL_LABELS[tool],
            )
            values += [v for _, m in points for v in (m.min, m.max)]
        _scale(ax, values)
        ax.set_xlabel("packages")
        ax.set_ylabel("seconds (median, min-max)")
        ax.set_title(SCENARIOS[scenario].label)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _err(measured: list[Measurement]) -> list[list[float]]:
    """matplotlib's asymmetric error bars: [[below, ...], [above, ...]] the medians."""
    return [[m.median - m.min for m in measured], [m.max - m.median for m in measured]]


def _scale(ax: Any, values: list[float]) -> None:
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) > _LOG_SPREAD:
        ax.set_yscale("log")
        ax.set_ylabel("seconds, log scale (median, min-max)")


def _dedupe_legend(ax: Any) -> None:
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=8)

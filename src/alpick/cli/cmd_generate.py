"""CLI: the `generate` commands (parsing and printing only)."""

from __future__ import annotations

from pathlib import Path

import typer

from alpick.cli.common import out, output_dir, parse_wxh, seed_option


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    sub = typer.Typer(no_args_is_help=True, help="Generate synthetic datasets.")
    app.add_typer(sub, name="generate")

    @sub.command("orchard")
    def orchard(
        dest: Path = typer.Argument(
            ..., metavar="OUT", help="Dataset folder to create.", callback=output_dir
        ),
        n_train: int = typer.Option(300, "--n-train", help="Training images (sequences)."),
        n_test: int = typer.Option(100, "--n-test", help="Test images (independent scenes)."),
        size: str = typer.Option("256x448", "--size", help="Frame size WIDTHxHEIGHT, >= 64."),
        seed: int = typer.Option(0, "--seed", help="Same seed, same files.", callback=seed_option),
        force: bool = typer.Option(False, "--force", help="Replace a non-empty OUT."),
        regime: str = typer.Option(
            "default",
            "--regime",
            help="Training pool: default (near-duplicate sequences, skewed conditions) or "
            "balanced (independent scenes, conditions evenly spread).",
        ),
    ) -> None:
        """Synthetic MinneApple-layout orchard: images, instance masks, metadata.csv."""
        from alpick.api import generate_orchard

        report = generate_orchard(
            dest,
            n_train=n_train,
            n_test=n_test,
            size=parse_wxh(size, option="--size"),
            seed=seed,
            progress=True,
            overwrite=force,
            regime=regime,
        )
        out.print(report.summary(), markup=False, soft_wrap=True)

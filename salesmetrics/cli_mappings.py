"""`salesmetrics mappings list|show|infer` and `salesmetrics init`: finding, reading and writing
mappings and report configs. cli.py registers them; pandas is imported only inside commands.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

mappings_app = typer.Typer(
    name="mappings",
    help="List, show and write mappings (how an export's columns become canonical fields).\n\n"
    "Example: salesmetrics mappings list",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def _guarded(command: Callable[..., None]) -> Callable[..., None]:
    """cli.py's one-line error handling, looked up when the command runs (no import cycle)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        from salesmetrics.cli import _one_line_errors

        _one_line_errors(command)(*args, **kwargs)

    return run


def _mapping_dirs(config: Path | None) -> tuple[Path, ...]:
    if config is None:
        return ()
    from salesmetrics.config import load_config

    return load_config(config).mapping_dirs


def _refuse_overwrite(path: Path, force: bool) -> None:
    from salesmetrics.errors import InputError

    if path.exists() and not force:
        raise InputError(f"{path}: the file exists; give --force to replace it")


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Report config whose `mappings:` folders to include."),
]


@mappings_app.command("list")
@_guarded
def list_mappings(
    config: ConfigOption = None,
    output_format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table or json.")
    ] = ListFormat.table,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour.")] = False,
) -> None:
    """List the mapping presets (and your own, with --config): name, entity, description.

    Example: salesmetrics mappings list --config report.yaml --format json
    """
    from salesmetrics.errors import MappingError
    from salesmetrics.ingest.mapping import list_presets, load_mapping, resolve_mapping

    rows: list[dict[str, Any]] = []
    sources = [(name, "preset") for name in list_presets()]
    for folder in _mapping_dirs(config):
        for file in sorted(folder.iterdir()):
            if file.suffix in (".yaml", ".yml") and file.is_file():
                sources.append((str(file), "own"))
    for name, source in sources:
        try:
            mapping = load_mapping(name)
            rows.append(
                {
                    "name": name,
                    "entity": mapping.entity.name,
                    "description": mapping.description,
                    "source": source,
                    "path": str(mapping.path),
                }
            )
        except MappingError as exc:
            rows.append(
                {
                    "name": name,
                    "entity": None,
                    "description": f"cannot be loaded: {exc}",
                    "source": source,
                    "path": str(resolve_mapping(name)) if source == "preset" else name,
                }
            )
    if output_format is ListFormat.json:
        json.dump({"mappings": rows}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from rich.table import Table
    from rich.text import Text

    from salesmetrics.render.console import make_console, table_box
    from salesmetrics.render.safe import plain

    console = make_console(sys.stdout, no_color=no_color)
    table = Table(box=table_box(console))
    for heading in ("name", "entity", "description"):
        table.add_column(heading)
    for row in rows:
        cells = (row["name"], row["entity"] or "-", row["description"])
        table.add_row(*(Text(plain(cell)) for cell in cells))
    console.print(table)


@mappings_app.command("show")
@_guarded
def show_mapping(
    name: Annotated[str, typer.Argument(help="A preset name (hubspot_deals) or a .yaml path.")],
) -> None:
    """Print a mapping file; one that `extends` another is followed by the merged result.

    Example: salesmetrics mappings show hubspot_deals
    """
    import yaml

    from salesmetrics.ingest.mapping import _load_merged, load_mapping, resolve_mapping

    path = resolve_mapping(name)
    load_mapping(name)  # a broken mapping is an error here too, naming the file and line
    text = path.read_text(encoding="utf-8-sig")
    sys.stdout.write(f"# {name}: {path}\n{text}")
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    merged = _load_merged(path, seen=())
    from salesmetrics.yamlfile import load_yaml

    own = load_yaml(path)
    parent = own.get("extends") if isinstance(own, dict) else None
    if parent:
        resolved = yaml.safe_dump(_plain(merged), sort_keys=False, allow_unicode=True, width=100)
        sys.stdout.write(
            f"\n# ---- with `extends: {parent}` resolved: the mapping as salesmetrics reads it\n"
            + "".join(f"# {line}\n" if line else "#\n" for line in resolved.splitlines())
        )


def _plain(value: Any) -> Any:
    """YAML nodes as plain dicts and lists, for dumping."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@mappings_app.command("infer")
@_guarded
def infer(
    file: Annotated[str, typer.Argument(help="An export (CSV, CSV.GZ, XLSX, XLS).")],
    entity: Annotated[
        str | None,
        typer.Option(
            "--entity",
            "-e",
            help="What the file holds: deals, leads, activities, orders, subscriptions, costs, "
            "targets, surveys, reps (default: guessed).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the mapping here (default stdout).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Write a commented mapping for an export no preset fits: fields guessed from the headers
    where the values agree, date orders detected, the values of stage, status and channel
    columns listed to map, and every guess marked `# check`.

    Example: salesmetrics mappings infer export.csv --entity deals --output my_deals.yaml
    """
    from salesmetrics.schema import ENTITIES

    if entity is not None and entity not in ENTITIES:
        raise typer.BadParameter(
            f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}",
            param_hint="--entity",
        )
    from salesmetrics.atomic import write_text_atomic
    from salesmetrics.cli import _refuse_writing_an_input
    from salesmetrics.infer import infer_mapping

    if output is not None:
        _refuse_writing_an_input("--output", output, [file])
        _refuse_overwrite(output, force)
    found = infer_mapping(file, entity)
    if output is None:
        sys.stdout.write(found.text)
    else:
        write_text_atomic(output, found.text.replace("THIS_FILE.yaml", str(output)))
    if quiet:
        return
    how = "guessed" if found.entity_guessed else "given"
    mapped = sum(1 for c in found.choices.values() if c.header is not None)
    where = f"wrote {output}" if output is not None else "mapping written to stdout"
    typer.echo(f"{where}: entity {found.entity} ({how}), {mapped} column(s) mapped", err=True)
    if found.reason:
        typer.echo(found.reason, err=True)
    for note in found.notes:
        typer.echo(f"note: {note}", err=True)
    target = output if output is not None else "MAPPING.yaml"
    typer.echo(
        f"check the lines marked `# check`, then: salesmetrics validate {file} --mapping {target}",
        err=True,
    )


def init(
    folder: Annotated[
        Path, typer.Argument(help="The folder of exports (default: the current folder).")
    ] = Path("."),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The config to write (default: FOLDER/report.yaml)."),
    ] = None,
    mappings: Annotated[
        list[Path] | None,
        typer.Option(
            "--mappings",
            metavar="FOLDER",
            help="A folder of your own mappings to try too (repeatable).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing config and extends files.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Write a commented report config for the exports in a folder, each with the mapping it
    is recognised as, ready for `salesmetrics report --config`. Where a preset nearly fits an
    export (a required column under another name, stage values it does not map), a short
    `extends:` file beside the config adds what it lacks; `mappings infer` is proposed only
    where no preset comes near.

    Example: salesmetrics init exports/2026-10 --output report.yaml
    """
    from salesmetrics.atomic import write_text_atomic
    from salesmetrics.cli import _refuse_writing_an_input
    from salesmetrics.errors import InputError
    from salesmetrics.infer import default_config_path, init_config
    from salesmetrics.ingest.detect import files_in

    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    target = output if output is not None else default_config_path(folder)
    with contextlib.suppress(InputError):  # a folder without exports is init_config's to say
        _refuse_writing_an_input("--output", target, files_in(folder))
    _refuse_overwrite(target, force)
    result = init_config(folder, target, mappings or ())
    for written in result.extended:
        _refuse_overwrite(written.path, force)
    for written in result.extended:
        write_text_atomic(written.path, written.text)
    write_text_atomic(target, result.text)
    if quiet:
        return
    for found in result.recognised:
        typer.echo(found.reason(), err=True)
    for written in result.extended:
        typer.echo(written.extension.reason(str(written.path)), err=True)
    for _, why in result.unrecognised:
        typer.echo(why, err=True)
    nearly = f", {len(result.extended)} with an extends file" if result.extended else ""
    typer.echo(
        f"wrote {target}: {len(result.recognised)} input(s) recognised{nearly}, "
        f"{len(result.unrecognised)} not",
        err=True,
    )
    if len(result.currencies) > 1:
        typer.echo(
            f"note: amounts come in {', '.join(result.currencies)}: fill in each rate under "
            f"`rates:` in {target}; the report refuses to run until you do",
            err=True,
        )
    if result.extended:
        files = ", ".join(str(w.path) for w in result.extended)
        typer.echo(f"next: check the lines marked `check` in {files}", err=True)
    if result.recognised or result.extended:
        typer.echo(f"next: salesmetrics report --config {target}", err=True)

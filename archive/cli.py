"""The ``nianbao`` command line. Each command is a thin wrapper over a module
of ``archive``, ``parsers`` or ``crawler``; the work lives there."""

from __future__ import annotations

from pathlib import Path

import click

# Every command that touches the archive takes the data dir the same way.
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="NIANBAO_DATA",
    default=Path("data"),
    show_default=True,
    help="Data dir holding nianbao.db, originals/ and logs/ (env NIANBAO_DATA).",
)


@click.group()
@click.version_option(package_name="nianbao")
def cli():
    """nianbao: find, archive and read government-information-disclosure annual reports."""


# --- parse-file ----------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


@cli.command("parse-file")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the canonical record as JSON.")
def parse_file(paths, as_json):
    """Read annual reports into the canonical record; the format is detected from content.

    One record per file. A file that cannot be read gets one line on stderr
    naming it and the reason; the other files are still read; the exit status is 1.
    """
    import json

    from parsers import ParseError, parse_document, read_document
    from parsers.summary import summary

    failed = False
    for path in paths:
        try:
            if path.is_dir():
                raise ParseError("is a directory (flip-book pages are not read yet)")
            document = read_document(path.read_bytes(), filename=path.name, base_dir=path.parent)
            record = parse_document(document)
        except ParseError as error:
            reason = _one_line(error)
        except OSError as error:
            reason = error.strerror or _one_line(error)
        except Exception as error:  # a reader bug must not cost the other files
            reason = f"unexpected {type(error).__name__}: {_one_line(error)}"
        else:
            click.echo(json.dumps(record, ensure_ascii=False, indent=1) if as_json else summary(record))
            continue
        failed = True
        click.echo(f"nianbao parse-file: {path}: {reason}", err=True)
    if failed:
        raise SystemExit(1)

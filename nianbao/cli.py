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


def _limits_from_options(time_limit: float, memory_limit: str):
    from parsers.sandbox import Limits, parse_size

    try:
        return Limits(time_limit=time_limit, memory_limit=parse_size(memory_limit))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--memory-limit")


def limit_options(command):
    """--time-limit and --memory-limit: every file is read under them (parsers/sandbox.py)."""
    from parsers import limits

    command = click.option(
        "--memory-limit", default=f"{limits.PARSE_MEMORY_LIMIT // 2**20}M", show_default=True,
        envvar="NIANBAO_MEMORY_LIMIT", metavar="SIZE",
        help="Memory one file's reading may take (e.g. 2G, 512M; 0: no limit; env NIANBAO_MEMORY_LIMIT).",
    )(command)
    return click.option(
        "--time-limit", type=click.FloatRange(min=0), default=limits.PARSE_TIME_LIMIT, show_default=True,
        envvar="NIANBAO_TIME_LIMIT", metavar="SECONDS",
        help="Seconds one file's reading may take (0: no limit; env NIANBAO_TIME_LIMIT).",
    )(command)


def _shown(path) -> str:
    """A name as printed: control characters escaped (no terminal or log injection)."""
    from archive.paths import printable

    return printable(str(path))


def _read_for_cli(path):
    """One file or flip-book read into its canonical record (runs in the sandbox child)."""
    from parsers import parse_originals

    return parse_originals(path)[0]


@cli.command("parse-file")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the canonical record as JSON.")
@limit_options
def parse_file(paths, as_json, time_limit, memory_limit):
    """Read annual reports into the canonical record; the format is detected from content.

    One record per file; a directory is read as a flip-book's pages (one record).
    A file that cannot be read, or that exceeds its time or memory limit, gets
    one line on stderr naming it and the reason; the other files are still
    read; the exit status is 1.
    """
    import json
    import os
    import stat

    from parsers import ParseError
    from parsers.flipbook import group_pages
    from parsers.limits import MAX_INPUT_BYTES, file_kind
    from parsers.sandbox import close_all, run_limited

    limits = _limits_from_options(time_limit, memory_limit)
    failed = False
    for path in group_pages(paths):
        try:
            if isinstance(path, Path):
                # Before any reading: a FIFO or a device would block or never end, a huge file fill memory.
                info = os.stat(path)
                if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                    raise ParseError(f"not a regular file ({file_kind(info.st_mode)})")
                if stat.S_ISREG(info.st_mode) and info.st_size > MAX_INPUT_BYTES:
                    raise ParseError(f"file of {info.st_size // 2**20} MB exceeds the {MAX_INPUT_BYTES // 2**20} MB cap")
            # A file (a ZIP/7z through its members), a folder of a flip-book's pages, or its
            # page files given together (files/basic-html/pageN.html)
            record = run_limited(limits, _read_for_cli, path)
        except ParseError as error:
            reason = _one_line(error)
        except OSError as error:
            reason = error.strerror or _one_line(error)
        except Exception as error:  # a reader bug must not cost the other files
            reason = f"unexpected {type(error).__name__}: {_one_line(error)}"
        else:
            click.echo(json.dumps(record, ensure_ascii=False, indent=1) if as_json else _record_summary(record))
            continue
        failed = True
        click.echo(f"nianbao parse-file: {_shown(path)}: {reason}", err=True)
    close_all()
    if failed:
        raise SystemExit(1)


def _record_summary(record) -> str:
    from parsers.summary import summary as one_record

    return one_record(record)


# --- archive: db init, import, parse, export, verify ------------------------------------


@cli.group("db")
def db_group():
    """The archive database."""


@db_group.command("init")
@data_dir_option
def db_init(data_dir):
    """Create the data dir and the database, or upgrade its schema (idempotent)."""
    from archive import Archive
    from archive.db import schema_version

    with Archive(data_dir) as archive:
        click.echo(f"{archive.db_path}: schema version {schema_version(archive.db)}")


def _existing_archive(data_dir: Path):
    """The archive in ``data_dir``; a mistyped --data-dir is an error, not a new empty archive."""
    from archive import Archive
    from archive.db import DB_NAME

    if not (data_dir / DB_NAME).is_file():
        raise click.ClickException(f"no archive in {data_dir} (nianbao db init or nianbao import creates one)")
    _use_data_dir(data_dir)
    return Archive(data_dir)


def _use_data_dir(data_dir: Path) -> None:
    """Temporary files and caches of this process (and its children) under the data dir."""
    from archive import workspace

    workspace.use(data_dir)


def _echo_parse_summary(summary, names: dict | None = None) -> None:
    """``names``: what to call a report in its error line (an import's local path, not its published URL)."""
    for key, reason in summary.failed.items():
        click.echo(f"nianbao: {_shown((names or {}).get(key, key))}: {_shown(reason)}", err=True)
    click.echo(
        f"{len(summary.loaded)} reports loaded, {len(summary.failed)} failed, {len(summary.skipped)} unchanged"
    )


workers_option = click.option(
    "--workers", type=click.IntRange(min=0), default=0, show_default=True,
    help="Processes parsing in parallel (0: parse in this process).",
)


@cli.command("import")
@data_dir_option
@workers_option
@limit_options
@click.option("--sites-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              envvar="NIANBAO_SITES_FILE",
              help="Site registry naming the sites of WARCs made by other tools (their report keys).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_command(data_dir, workers, time_limit, memory_limit, sites_file, paths):
    """Archive local files (folders recursively) and WARC files, then parse and load them.

    Each regular file is one report (a saved page with its x_files/ folder is one).
    Inside a folder, symbolic links are not followed, and hidden names, FIFOs and
    devices are not read: each is listed on stderr with the reason. A WARC (.warc,
    .warc.gz, also .open ones a crawl left) brings its fetches as a crawl made them:
    nianbao's own with their roles and report keys, other tools' classified as the
    spiders classify pages. A file or WARC record that cannot be read or parsed gets
    one line on stderr with the reason; the others still load; the exit status is then 1.
    """
    from archive import Archive
    from archive.importer import import_found, walk
    from archive.reparse import parse_reports
    from archive.warc_import import import_warcs, is_warc

    limits = _limits_from_options(time_limit, memory_limit)
    _use_data_dir(data_dir)
    failed = False
    keys = []
    names = {}
    with Archive(data_dir) as archive:
        found = walk([bytes(p) for p in paths])
        for item in found.skipped:
            click.echo(f"nianbao: {_shown(item.name)}: {item.reason}", err=True)
        warcs = [f.path for f in found.files if is_warc(f.path)]
        others = [f for f in found.files if not is_warc(f.path)]
        if warcs:
            from functools import partial

            from crawler.replay import classify

            result = import_warcs(archive, warcs, classify=partial(classify, sites_file=sites_file))
            for error in result.errors:
                click.echo(f"nianbao: {_shown(error)}", err=True)
            failed |= bool(result.errors)
            keys += result.report_keys
            click.echo(f"{len(warcs)} WARC files: {result.records} fetches recorded, "
                       f"{result.skipped} records imported before, {len(result.errors)} errors")
        if others or not warcs:
            imported = import_found(archive, others, skipped=len(found.skipped))
            for item in imported:
                if item.error:
                    click.echo(f"nianbao: {_shown(item.path)}: {item.error}", err=True)
            failed |= any(item.error for item in imported)
            keys += [item.report_key for item in imported if not item.error]
            click.echo(f"{len(imported)} files archived ({sum(i.result.new_document for i in imported)} new), "
                       f"{len(found.skipped)} skipped")
            # The archive names a file by a digest of its folder (nothing local is published); the
            # person importing knows it by its path.
            names = {item.report_key: item.path for item in imported
                     if item.report_key.endswith("/" + item.path.name)}
        summary = parse_reports(archive, list(dict.fromkeys(keys)), workers=workers, limits=limits)
    _echo_parse_summary(summary, names)
    if summary.failed or failed:
        raise SystemExit(1)


@cli.command("parse")
@data_dir_option
@click.option("--pending/--all", "only_pending", default=True, show_default=True,
              help="Only reports whose originals changed or were read by another parser version, or all.")
@click.option("--retry-failed", is_flag=True,
              help="With --pending, also retry reports whose every original failed under this parser version.")
@workers_option
@click.option("--cluster", metavar="ADDRESS",
              help="Parse on the workers of this Dask distributed scheduler (tcp://HOST:8786); "
                   "this process writes.")
@click.option("--store", "store_url", envvar="NIANBAO_STORE", metavar="URL",
              help="Where --cluster workers read the originals: a folder they share, or "
                   "s3://BUCKET/PREFIX (endpoint: AWS_ENDPOINT_URL). Default: the data dir's originals/. "
                   "[env NIANBAO_STORE]")
@limit_options
def parse_command(data_dir, only_pending, retry_failed, workers, cluster, store_url, time_limit, memory_limit):
    """Parse archived originals and load one record per report (one transaction each).

    A file past its time or memory limit fails with the reason (a parse_errors row)
    and is not tried again by --pending until the parser version changes or
    --retry-failed is given.
    """
    from archive.reparse import parse_reports
    from archive.store import open_store

    if store_url and not cluster:
        raise click.UsageError("--store is where --cluster workers read; give --cluster too")
    try:
        store = open_store(store_url) if store_url else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--store")
    limits = _limits_from_options(time_limit, memory_limit)
    with _existing_archive(data_dir) as archive:
        try:
            summary = parse_reports(archive, only_pending=only_pending, workers=workers, cluster=cluster,
                                    store=store, limits=limits, retry_failed=retry_failed)
        except OSError as exc:
            if not cluster:
                raise
            # The scheduler unreachable or gone; what was written stays committed, the rest pending.
            raise click.ClickException(f"cluster {cluster}: {exc}")
    _echo_parse_summary(summary)
    if summary.failed:
        raise SystemExit(1)


@cli.command("export")
@data_dir_option
@click.argument("out_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--warc", "warc_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the fetches as WARC/1.1 (.warc.gz: gzipped per record).")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write per-year ZIPs of CSV tables.")
@click.option("--download", "download_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the download in two files: nianbao-tables.db and nianbao-text.db.")
def export_command(data_dir, out_dir, warc_file, csv_dir, download_dir):
    """Export a bundle to OUT_DIR (DB snapshot, originals, SHA256SUMS), and/or --warc, --csv, --download."""
    if not (out_dir or warc_file or csv_dir or download_dir):
        raise click.UsageError("name a bundle folder OUT_DIR, --warc FILE, --csv DIR or --download DIR")
    with _existing_archive(data_dir) as archive:
        if out_dir:
            from archive.bundle import export_bundle

            try:
                copied = export_bundle(archive, out_dir)
            except FileExistsError as exc:
                raise click.ClickException(str(exc))
            click.echo(f"{out_dir}: database snapshot, {copied} originals, SHA256SUMS")
        if warc_file:
            from archive.warc import write_warc

            click.echo(f"{warc_file}: {write_warc(archive, warc_file)} WARC records")
        if csv_dir:
            from archive.export_csv import export_csv

            export_csv(archive.db_path, csv_dir)
            click.echo(f"{csv_dir}: CSV tables per year")
        if download_dir:
            from archive.download import write_download

            for path in write_download(archive.db_path, download_dir):
                click.echo(f"{path}: {path.stat().st_size:,} bytes")


@cli.command("verify")
@data_dir_option
@click.argument("bundle", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path))
def verify_command(data_dir, bundle):
    """Re-hash every original and check the database's integrity (of the data dir, or of BUNDLE).

    Prints each problem; the exit status is 1 if there is any.
    """
    from archive.bundle import verify

    result = verify(bundle or data_dir)
    for problem in result.problems:
        click.echo(f"nianbao verify: {problem}", err=True)
    for path in result.leftovers:
        click.echo(f"nianbao verify: note: {path} was left by an interrupted write; nothing reads it "
                   "(nianbao run removes such files once they are a day old)", err=True)
    click.echo(f"{result.checked} originals checked, {len(result.problems)} problems")
    if not result.ok:
        raise SystemExit(1)


def _check_family(ctx, param, value):
    """--family: one of the families Scrapy's spider loader finds (loaded only when
    given); ``auto`` (or none) fingerprints the portal."""
    if value in (None, "auto"):
        return None
    from crawler.families import family_names

    if value not in family_names():
        raise click.BadParameter(f"{value!r} is not one of: {', '.join(family_names())}")
    return value


@cli.command("crawl")
@click.argument("sites", nargs=-1)
@click.option("--url", help="Crawl a portal without a registry entry, discovering from this home page.")
@click.option("--family", callback=_check_family,
              help="CMS family of --url (a spider of crawler/spiders/: hanweb, trs, ucap, generic); "
                   "default auto: fingerprint the portal, the generic spider when no family fits.")
@click.option("--sites-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              envvar="NIANBAO_SITES_FILE", help="Site registry (env NIANBAO_SITES_FILE; default crawler/sites.toml).")
@data_dir_option
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Only follow list entries published on or after this date.")
@click.option("--jobdir", type=click.Path(file_okay=False, path_type=Path),
              help="Resumable job state: rerun with the same dir after an interruption.")
@click.option("--full", is_flag=True,
              help="Probe every report year since 2008 for every body (later runs otherwise probe the last two).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy/nianbao setting (repeatable), like scrapy crawl -s.")
@click.option("--redis", "redis_url", metavar="redis://HOST:PORT/DB",
              help="Share one frontier and duplicate filter with every crawl process using this Redis.")
@click.option("--redis-reset", is_flag=True,
              help="Forget the shared crawl in Redis first (start again from the start URLs).")
@click.option("--warc-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Record fetches as WARC/1.1 files here instead of the archive (load with nianbao import).")
def crawl_command(sites, url, family, sites_file, data_dir, since, jobdir, full, overrides, redis_url, redis_reset,
                  warc_dir):
    """Crawl registry SITES (all when none are named) into the archive (or WARC files)."""
    from crawler import run
    from crawler.registry import RegistryError

    if redis_reset and not redis_url:
        raise click.UsageError("--redis-reset needs --redis")
    if not warc_dir:  # a WARC crawl process writes its WARCs only, nothing in a data dir
        _use_data_dir(data_dir)
    try:
        settings = run.crawl_settings(data_dir=data_dir, sites_file=sites_file, jobdir=jobdir, redis_url=redis_url,
                                      warc_dir=warc_dir, overrides=overrides)
        if url and family is None:
            family, probe = run.fingerprint(url, settings)
            click.echo(f"{url}: {probe.summary()}; crawling with the {family} spider")
        spider_args = run.plan(list(sites), url, family, sites_file)
    except (RegistryError, ValueError) as exc:
        raise click.UsageError(str(exc))
    if redis_url:
        import redis

        try:
            run.check_redis(redis_url)
            if redis_reset:
                click.echo(f"{run.reset_frontier(settings, spider_args)} Redis keys of the shared crawl deleted")
        except (redis.RedisError, ValueError) as exc:
            raise click.ClickException(f"Redis at {redis_url}: {exc}")
    stats = run.run(settings, spider_args, since=since.date() if since else None, full=full)
    for family_name, family_stats in stats.items():
        where = (f"WARC crawl {family_stats.get('nianbao/warc_crawl')}" if warc_dir
                 else f"crawl run {family_stats.get('nianbao/crawl_run')}")
        click.echo(f"{family_name}: {where}, "
                   f"{family_stats.get('item_scraped_count', 0)} fetches recorded, "
                   f"finished: {family_stats.get('finish_reason')}")
        for line in run.budget_lines(family_stats):
            click.echo(f"  {line}")
    if any(s.get("finish_reason") == "redis_unavailable" for s in stats.values()):
        raise SystemExit(75)  # EX_TEMPFAIL: run the same command again once Redis is back


# --- the site registry -------------------------------------------------------------------


@cli.group("sites")
def sites_group():
    """The site registry (crawler/sites.toml, or --sites-file / NIANBAO_SITES_FILE)."""


_sites_file_option = click.option(
    "--sites-file", type=click.Path(dir_okay=False, path_type=Path), envvar="NIANBAO_SITES_FILE",
    help="Site registry (env NIANBAO_SITES_FILE; default crawler/sites.toml).")
_probe_option = click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
                             help="Override a crawl setting the probe uses (DOWNLOAD_DELAY, USER_AGENT, …).")


@sites_group.command("add")
@click.argument("url")
@click.option("--name", help="Site name (default: made from the host name).")
@_sites_file_option
@_probe_option
def sites_add(url, name, sites_file, overrides):
    """Detect URL's CMS family from its pages and add the portal to the registry."""
    from crawler import detect, run
    from crawler.registry import RegistryError, add_site, name_for

    try:
        settings = run.crawl_settings(data_dir=".", overrides=overrides)
        home = detect.home_url(url)
        family, probe = run.fingerprint(home, settings)
        entry = {"family": family, "base_urls": [home]}
        if probe.title:
            entry["title"] = probe.title
        site = add_site(name or name_for(home), entry, sites_file)
    except (RegistryError, ValueError) as exc:
        raise click.UsageError(str(exc))
    click.echo(f"{site.name}: {home} {probe.summary()}; added with family = \"{family}\"")


@sites_group.command("check")
@click.argument("names", nargs=-1)
@_sites_file_option
@_probe_option
def sites_check(names, sites_file, overrides):
    """Fetch each site's home page: does it answer, and which family does it appear to be?

    Exit status 1 when a site does not answer."""
    from crawler import detect, run
    from crawler.registry import RegistryError, load_sites, select_sites

    try:
        settings = run.crawl_settings(data_dir=".", overrides=overrides)
        chosen = select_sites(list(names), load_sites(sites_file))
    except (RegistryError, ValueError) as exc:
        raise click.UsageError(str(exc))
    silent = 0
    for site in chosen:
        probe = detect.detect_with_settings(site.base_url, settings)
        note = ""
        if probe.answers and (probe.family or "generic") != site.family:
            note = f"; the registry says {site.family}"
        click.echo(f"{site.name}: {site.base_url} {probe.summary()}{note}")
        silent += not probe.answers
    if silent:
        raise SystemExit(1)


# --- publish: serve, run, demo ------------------------------------------------------------


@cli.command("serve")
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--live", is_flag=True,
              help="Serve the database mutable, to watch a load in progress (no download link then).")
def serve_command(data_dir, host, port, live):
    """Publish the archive with Datasette (immutable, with the nianbao.db download)."""
    from nianbao.serve import serve

    try:
        serve(data_dir, host=host, port=port, immutable=not live)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc))


@cli.command("run")
@data_dir_option
@click.argument("sites", nargs=-1)
@click.option("--sites-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Site registry to use instead of crawler/sites.toml.")
@click.option("-s", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.option("--strict", is_flag=True, help="Exit 1 when any report could not be parsed.")
@click.option("--full", is_flag=True,
              help="Probe every report year since 2008 (default: the last two after a first run).")
@click.option("--serve", "then_serve", is_flag=True, help="Serve the archive with Datasette afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def run_command(data_dir, sites, sites_file, overrides, strict, full, then_serve, host, port):
    """Crawl the registry's sites (or SITES), archive, parse and load: the cron job.

    Exit status 0 when done, 1 when the run failed, 75 when another run holds the data dir.
    """
    from nianbao.run import main

    status = main(data_dir, tuple(sites), sites_file=sites_file, overrides=tuple(overrides), strict=strict, full=full)
    if status == 0 and then_serve:
        from nianbao.serve import serve

        serve(data_dir, host=host, port=port)
    raise SystemExit(status)


@cli.command("demo")
@data_dir_option
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve Datasette after loading.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--replica-port", default=8780, show_default=True, type=int,
              help="Port of the replica portal (its hosts are 127.0.0.2-5; 0: free ports, "
                   "its URLs then change from one demo to the next).")
@click.option("--bodies-per-site", default=4, show_default=True, type=int, help="Size of the replica.")
def demo_command(data_dir, serve, host, port, replica_port, bodies_per_site):
    """Everything offline: crawl the bundled replica portal, load, and serve on 127.0.0.1.

    The demo archive goes to DATA_DIR/demo, apart from a real archive.
    """
    from nianbao.demo import demo

    try:
        status = demo(data_dir / "demo", serve=serve, host=host, port=port, replica_port=replica_port,
                      bodies_per_site=bodies_per_site)
    except OSError as exc:  # most often: the replica's or Datasette's port is taken
        raise click.ClickException(f"{exc}; choose other ports with --replica-port / --port")
    raise SystemExit(status)

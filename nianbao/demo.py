"""``nianbao demo``: the whole pipeline against the bundled replica portal,
then Datasette on 127.0.0.1 — everything visible with no internet.

The replica lives in ``nianbao.testbed``, imported here only when the demo runs.
"""

from __future__ import annotations

from pathlib import Path

# Politeness is for real portals; the replica runs on this machine.
POLITENESS_OFF = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8")


def replica_sites_toml(portal) -> str:
    """Registry entries for the replica's two sites (the flip-book host is wendeng's extra host)."""
    import json
    from urllib.parse import urlsplit

    wendeng, huancui = portal.sites["wendeng"], portal.sites["huancui"]
    huancui_urls = [f"{huancui.base_url}/"] + ([f"{huancui.alias_url}/"] if huancui.alias_url else [])
    return (
        "# Written by `nianbao demo`: the bundled replica portal, not real sites.\n"
        "[sites.wendeng]\n"
        'title = "威海市文登区人民政府（replica）"\nfamily = "hanweb"\n'
        f'base_urls = ["{wendeng.base_url}/"]\nregion_code = "371003"\n'
        f'extra_hosts = ["{urlsplit(portal.flipbook_url).hostname}"]\n\n'
        "[sites.huancui]\n"
        'title = "威海市环翠区人民政府（replica）"\nfamily = "hanweb"\n'
        f"base_urls = {json.dumps(huancui_urls)}\n"  # a JSON list of strings is a TOML array
        'region_code = "371002"\n'
    )


def serve_command(data_dir: Path) -> str:
    """The exact command that publishes ``data_dir``."""
    import shlex

    return f"nianbao serve --data-dir {shlex.quote(str(data_dir))}"


def demo(data_dir: Path, *, serve: bool = True, host: str = "127.0.0.1", port: int = 8001,
         replica_port: int = 8780, bodies_per_site: int = 4, years=(2021, 2022, 2023)) -> int:
    """Start the replica, run the whole job against it, then serve Datasette (unless ``serve`` is False).

    Fixed replica ports keep report URLs stable, so a second demo is an
    incremental re-crawl of the same archive. Returns ``nianbao run``'s exit status.
    """
    import sys

    from nianbao.run import main as run_main
    from nianbao.testbed.replica import ReplicaPortal

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with ReplicaPortal(seed=0, bodies_per_site=bodies_per_site, years=years, port=replica_port) as portal:
        sites_file = data_dir / "replica-sites.toml"
        sites_file.write_text(replica_sites_toml(portal), encoding="utf-8")
        print(f"nianbao demo: replica portal at {portal.sites['wendeng'].base_url}/ and "
              f"{portal.sites['huancui'].base_url}/", flush=True)
        status = run_main(data_dir, (), sites_file=sites_file, overrides=POLITENESS_OFF, strict=False)
        # The demo archive is DATA_DIR/demo, not DATA_DIR: say how to publish exactly this one.
        print(f"nianbao demo: archive in {data_dir}; serve it again with: {serve_command(data_dir)}", flush=True)
        if status != 0 or not serve:
            return status
        from nianbao.serve import serve as serve_datasette

        # The replica keeps running while Datasette serves: reports link to their portal pages.
        print("nianbao demo: press Ctrl-C to stop", file=sys.stderr, flush=True)
        serve_datasette(data_dir, host=host, port=port)
    return status

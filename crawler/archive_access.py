"""The crawler's one ``Archive``: shared by the pipeline (records fetches), the
conditional-request middleware (validators of earlier fetches) and the spiders
(resuming a job, reading an unchanged page back, bodies and year coverage).

It lives apart from the pipeline because spiders and middlewares run before the
pipeline in Scrapy's flow and must not import it."""

from __future__ import annotations

from archive import Archive

DATA_DIR_SETTING = "NIANBAO_DATA"


def archive_for(crawler) -> Archive:
    """The crawler's one ``Archive``, opened on first use."""
    if not hasattr(crawler, "_nianbao_archive"):
        crawler._nianbao_archive = Archive(
            crawler.settings.get(DATA_DIR_SETTING),
            max_body_size=crawler.settings.getint("DOWNLOAD_MAXSIZE"),
        )
    return crawler._nianbao_archive


def recorded_urls(crawler, run_id: int) -> set[str]:
    """URLs already recorded in a crawl run (a resumed job skips their documents)."""
    return archive_for(crawler).recorded_urls(run_id)

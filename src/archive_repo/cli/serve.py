"""``archive-repo serve``: the researcher portal (TT05 ch. VI) over HTTP, served by waitress.

Listens on ``[portal] host`` / ``port`` (127.0.0.1:8080 by default; ``--host`` / ``--port`` override).
Session cookies are marked Secure unless ``[portal] secure_cookies = false``: in production the portal
sits behind the archive's TLS proxy. The cookie-signing key comes from the environment variable
``[portal] secret_key_env`` names, else from ``<repository>/portal-secret`` (made on first start, mode
0600). The catalog must be up to date (``archive-repo db upgrade``) before the portal starts.
"""

from __future__ import annotations

from pathlib import Path

import click

from archive_repo.cli.common import EXIT_OK, lang_option, repository_option
from archive_repo.i18n import translate

DEFAULT_THREADS = 8


MAX_REQUEST_BODY = 512 * 1024
CHANNEL_TIMEOUT = 30  # seconds a connection may stay idle
CONNECTION_LIMIT = 200


@click.command()
@repository_option
@click.option(
    "--host", default=None, help="Địa chỉ lắng nghe / address to listen on (default: [portal] host)."
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Cổng / port (default: [portal] port)."
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=DEFAULT_THREADS,
    show_default=True,
    help="Số luồng phục vụ / worker threads.",
)
@lang_option
def serve(repository: Path | None, host: str | None, port: int | None, threads: int, lang: str) -> int:
    """Chạy cổng khai thác tài liệu / serve the researcher portal."""
    import logging

    from waitress import serve as run

    from archive_repo.config import load_settings
    from archive_repo.ingest.catalog_access import catalog_engine
    from archive_repo.portal.app import create_app

    settings = load_settings(repository)
    catalog_engine(settings.catalog_url)  # refuses a catalog whose schema is behind, before listening
    app = create_app(settings)
    host = host or settings.portal.host
    port = port or settings.portal.port
    shown = f"[{host}]" if ":" in host else host
    click.echo(translate("portal.serving", lang, url=f"http://{shown}:{port}/", threads=threads))
    if settings.portal.secure_cookies:
        click.echo(translate("portal.serving_secure", lang))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.portal.secure_cookies and not settings.portal.trusted_proxies:
        click.echo(translate("portal.serving_no_proxy", lang))
    run(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="archive-repo",
        max_request_body_size=MAX_REQUEST_BODY,  # waitress would buffer 1 GiB before Flask says 413
        channel_timeout=CHANNEL_TIMEOUT,
        connection_limit=CONNECTION_LIMIT,
        # X-Forwarded-* go through to the app, which believes only [portal] trusted_proxies hops of them
        clear_untrusted_proxy_headers=False,
    )
    return EXIT_OK

"""The one way cxpulse reaches ClickHouse: clickhouse-connect at ``CLICKHOUSE_URL``.

Whether the URL points at the local chDB-backed front or a real ClickHouse server makes no difference here; the
credentials come from :meth:`ClickHouseSettings.credentials`, which also knows the local stack's generated password.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from cxpulse.settings import ClickHouseSettings

__all__ = ["Client", "make_client"]


def make_client(settings: ClickHouseSettings, *, database: str | None = None, **kwargs: object) -> Client:
    """A clickhouse-connect client for ``settings.url``.

    :param database: defaults to ``settings.database``; pass ``""`` for the server's default database
        (needed before our database exists).
    """
    url = urlsplit(settings.url)
    secure = url.scheme == "https"
    username, password = settings.credentials()  # one rule for every client, the local stack's secret included
    return clickhouse_connect.get_client(
        host=url.hostname or "127.0.0.1",
        port=url.port or (8443 if secure else 8123),
        secure=secure,
        username=username,
        password=password,
        database=settings.database if database is None else database,
        connect_timeout=settings.connect_timeout_s,
        send_receive_timeout=settings.query_timeout_s,
        autogenerate_session_id=False,
        **kwargs,
    )

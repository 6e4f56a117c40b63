"""Downloads for python-tuf's ngclient over httpx, so ``--no-proxy`` means the same for
updates as for every other networked command (``cli/client.py`` uses httpx too)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from tuf.api import exceptions
from tuf.ngclient.fetcher import FetcherInterface

from patentdesk import __version__


class HttpxFetcher(FetcherInterface):
    """Streams each download; ngclient stops reading past the length the metadata allows."""

    def __init__(self, *, no_proxy: bool = False, timeout: float = 30.0) -> None:
        self.client = httpx.Client(
            trust_env=not no_proxy,
            timeout=timeout,
            headers={"User-Agent": f"patentdesk-updater/{__version__}"},
        )
        self.chunk_size = 256 * 1024

    def _fetch(self, url: str) -> Iterator[bytes]:
        try:
            response = self.client.send(self.client.build_request("GET", url), stream=True)
        except httpx.TimeoutException as exc:
            raise exceptions.SlowRetrievalError(f"timed out: {url}") from exc
        except httpx.HTTPError as exc:
            raise exceptions.DownloadError(f"{type(exc).__name__}: {url}") from exc
        if response.status_code >= 400:
            response.close()
            raise exceptions.DownloadHTTPError(
                f"HTTP {response.status_code} for {url}", response.status_code
            )
        return self._chunks(response)

    def _chunks(self, response: httpx.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_bytes(self.chunk_size)
        except httpx.TimeoutException as exc:
            raise exceptions.SlowRetrievalError("timed out while receiving") from exc
        except httpx.HTTPError as exc:
            raise exceptions.DownloadError(f"{type(exc).__name__} while receiving") from exc
        finally:
            response.close()

    def close(self) -> None:
        self.client.close()

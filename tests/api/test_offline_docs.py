"""``/`` leads to the API docs, and ``/docs`` and ``/redoc`` work with no internet access."""

from __future__ import annotations

import re

import httpx

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")


def _asset_urls(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


async def test_root_redirects_to_the_docs(client: httpx.AsyncClient) -> None:
    r = await client.get("/", follow_redirects=False)
    assert r.status_code in (302, 307)
    assert r.headers["location"] == "/docs"
    assert (await client.get("/", follow_redirects=True)).status_code == 200


async def test_docs_pages_load_only_local_assets_and_each_answers(
    client: httpx.AsyncClient,
) -> None:
    for page, needed in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        r = await client.get(page)
        assert r.status_code == 200, page
        urls = _asset_urls(r.text)
        assert any(u.endswith(needed) for u in urls), (page, urls)
        for url in urls:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url
        assert "://" not in r.text, page  # no absolute URL: nothing from another host
    assert '"validatorUrl": null' in (await client.get("/docs")).text  # no validator badge


async def test_only_the_docs_assets_are_served(client: httpx.AsyncClient) -> None:
    for name in ("__init__.py", "..%2Fcore.py", "nothing.js"):
        assert (await client.get(f"/static/docs/{name}")).status_code == 404, name

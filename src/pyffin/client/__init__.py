"""HTTP for pyffin: the cached client and the registry client (DESIGN §3).

- :mod:`pyffin.client.http` — one HTTP client per process (urllib3 in threads, TLS through the
  system trust store, retries, proxies, credentials);
- :mod:`pyffin.client.policy` — RFC 9111 freshness and revalidation of stored responses;
- :mod:`pyffin.client.cached` — ``CachedClient.get(url, entry, transform)``: fetch, transform,
  store the result next to the response's cache policy, answer from the cache while fresh;
- :mod:`pyffin.client.simple` — PEP 503 / PEP 691 index pages parsed into ``SimplePage``;
- :mod:`pyffin.client.registry` — ``RegistryClient``: indexes, find-links, wheel metadata.

Importing this package is cheap: urllib3 and TLS are imported on the first real request, so a
warm command answered from the cache never pays for them.
"""

"""The demo catalogue with scans asked for: what the scan tests save against.

Every document of every service takes an optional scan of up to 3 pages (a "photo" key a
photo), and each service's first document a required one: exactly what a new catalogue
version would publish, with no code change.
"""

from __future__ import annotations

import dataclasses

from desktop.catalog_store import CatalogStore
from rules.catalog import Catalog, DocumentRequirement, ScanNeed


def with_scans(catalog: Catalog) -> Catalog:
    services = []
    for service in catalog.services:
        documents = []
        for i, doc in enumerate(service.documents):
            documents.append(
                dataclasses.replace(
                    doc,
                    scan=ScanNeed.REQUIRED if i == 0 else ScanNeed.OPTIONAL,
                    scan_pages=3,
                    scan_kind="photo" if doc.key == "photo" else "document",
                )
            )
        services.append(dataclasses.replace(service, documents=tuple(documents)))
    return dataclasses.replace(catalog, version=catalog.version + 1, services=tuple(services))


def publish_with_scans(catalogs: CatalogStore) -> Catalog:
    catalog = with_scans(catalogs.current())
    catalogs.import_catalog(Catalog.from_document(catalog.to_document()))
    return catalogs.current()


def first_required(catalog: Catalog) -> tuple[str, DocumentRequirement]:
    """A service that has documents, and its required scan."""
    for service in catalog.services:
        if service.documents:
            return service.code, service.documents[0]
    raise AssertionError("no service with documents")

"""End-user state for `/lookup`: the query, the sources (directory file or admin API), masking."""

from bot.lookup.config import DEFAULT_FIELDS, DirectoryConfig, HttpConfig, LookupField, LookupPolicy
from bot.lookup.masking import mask_value
from bot.lookup.query import LookupQuery, LookupQueryError, parse_lookup_query
from bot.lookup.sources import (
    DirectorySource,
    FieldValue,
    HttpSource,
    SourceUnavailable,
    UserSource,
    UserState,
    build_source,
)

__all__ = [
    "DEFAULT_FIELDS",
    "DirectoryConfig",
    "DirectorySource",
    "FieldValue",
    "HttpConfig",
    "HttpSource",
    "LookupField",
    "LookupPolicy",
    "LookupQuery",
    "LookupQueryError",
    "SourceUnavailable",
    "UserSource",
    "UserState",
    "build_source",
    "mask_value",
    "parse_lookup_query",
]

"""HTML views of the licence domain, one module per part of the domain. Rules live in
services; views pass the actor along."""

from app.licences.views.catalogue import CatalogueInterface, LicenceCatalogueView
from app.licences.views.common import (
    BLANK_FORMATTERS,
    ENTRY_CHOICE_ORDER,
    ENTRY_LABELS,
    PUBLISHED_ENTRY_CHOICES,
    sample_settings,
)
from app.licences.views.entries import LicenceEntryView, LicenceFaceFieldView
from app.licences.views.events import LicenceStatusEventView
from app.licences.views.links import CatalogueItemLinkView, LicenceItemLinkView
from app.licences.views.objections import LicenceObjectionView
from app.licences.views.review import LicenceReviewView
from app.licences.views.usage import LicenceUsageApplicationView

__all__ = [
    "BLANK_FORMATTERS",
    "ENTRY_CHOICE_ORDER",
    "ENTRY_LABELS",
    "PUBLISHED_ENTRY_CHOICES",
    "CatalogueInterface",
    "CatalogueItemLinkView",
    "LicenceCatalogueView",
    "LicenceEntryView",
    "LicenceFaceFieldView",
    "LicenceItemLinkView",
    "LicenceObjectionView",
    "LicenceReviewView",
    "LicenceStatusEventView",
    "LicenceUsageApplicationView",
    "sample_settings",
]

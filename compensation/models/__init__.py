from compensation.models.ledger import Award
from compensation.models.policy import DryRun, PolicyVersion
from compensation.models.population import (
    AffectedPerson,
    PopulationImport,
    PopulationImportChunk,
    PopulationReject,
)
from compensation.models.program import (
    AwardLine,
    ClaimType,
    Incident,
    Program,
    RegulatorNotice,
)
from compensation.models.terms import ProgramFaqEntry, ProgramTerms, ProgramTermsText

__all__ = [
    "AffectedPerson",
    "Award",
    "AwardLine",
    "ClaimType",
    "DryRun",
    "Incident",
    "PolicyVersion",
    "PopulationImport",
    "PopulationImportChunk",
    "PopulationReject",
    "Program",
    "ProgramFaqEntry",
    "ProgramTerms",
    "ProgramTermsText",
    "RegulatorNotice",
]

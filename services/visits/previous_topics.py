"""The topics visits' previous release stored for classes since renamed (the events took their
type's name), each registered for the class it is now. Generated with
tests/fixtures/previous-release/topics_table.py from what that release wrote."""

from services.backbone.topics import register_previous

register_previous({
    "services.visits.domain:Visit.Confirmed": "services.visits.domain:Visit.VisitConfirmed",
    "services.visits.domain:Visit.Corrected": "services.visits.domain:Visit.VisitCorrected",
    "services.visits.domain:Visit.Disputed": "services.visits.domain:Visit.VisitDisputed",
    "services.visits.domain:Visit.Logged": "services.visits.domain:Visit.VisitLogged",
    "services.visits.domain:Visit.Voided": "services.visits.domain:Visit.VisitVoided",
    "services.visits.settlement:Settlement.Issued": "services.visits.settlement:Settlement.FeeSettled",
    "services.visits.settlement:Settlement.Superseded": "services.visits.settlement:Settlement.FeeSettlementSuperseded",
})

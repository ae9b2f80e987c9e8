"""The topics contracts' previous release stored (``services.contracts.domain`` was one module and
the events were named after their aggregate), each registered for the class it is now. Generated
with tests/fixtures/previous-release/topics_table.py from what that release wrote."""

from services.backbone.topics import register_previous

register_previous({
    "services.contracts.domain:Contract": "services.contracts.domain.contract:Contract",
    "services.contracts.domain:Contract.Ended": "services.contracts.domain.contract:Contract.ContractEnded",
    "services.contracts.domain:Contract.Renewed": "services.contracts.domain.contract:Contract.ContractRenewed",
    "services.contracts.domain:Contract.Signed": "services.contracts.domain.contract:Contract.ContractSigned",
    "services.contracts.domain:Contract.TeamEvaluated": "services.contracts.domain.contract:Contract.TeamEvaluated",
    "services.contracts.domain:District": "services.contracts.domain.district:District",
    "services.contracts.domain:District.BoundarySet": "services.contracts.domain.district:District.DistrictBoundarySet",
    "services.contracts.domain:District.ContactsChanged": "services.contracts.domain.district:District.ContactsChanged",
    "services.contracts.domain:District.Registered": "services.contracts.domain.district:District.DistrictRegistered",
    "services.contracts.domain:District.TypesChanged": "services.contracts.domain.district:District.DistrictTypesChanged",
    "services.contracts.domain:Government": "services.contracts.domain.government:Government",
    "services.contracts.domain:Government.ContactsChanged": "services.contracts.domain.government:Government.ContactsChanged",
    "services.contracts.domain:Government.Registered": "services.contracts.domain.government:Government.GovernmentRegistered",
    "services.contracts.domain:Group": "services.contracts.domain.group:Group",
    "services.contracts.domain:Group.AssignmentEnded": "services.contracts.domain.group:Group.GroupAssignmentEnded",
    "services.contracts.domain:Group.Formed": "services.contracts.domain.group:Group.GroupFormed",
    "services.contracts.domain:Group.PlannerReplaced": "services.contracts.domain.group:Group.PlannerReplaced",
    "services.contracts.domain:Planner": "services.contracts.domain.planner:Planner",
    "services.contracts.domain:Planner.Appointed": "services.contracts.domain.planner:Planner.PlannerAppointed",
    "services.contracts.domain:Planner.Assigned": "services.contracts.domain.planner:Planner.PlannerAssigned",
    "services.contracts.domain:Planner.Dismissed": "services.contracts.domain.planner:Planner.PlannerDismissed",
    "services.contracts.domain:Planner.Evaluated": "services.contracts.domain.planner:Planner.PlannerEvaluated",
    "services.contracts.domain:Planner.Released": "services.contracts.domain.planner:Planner.PlannerReleased",
})

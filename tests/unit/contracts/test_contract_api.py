"""Contracts, evaluations and renewals over HTTP (R-CON-1..2, R-FEE-1, R-EVA-1)."""

from __future__ import annotations

import pytest

API = "/api/v1"


def contract_body(code: str, **overrides) -> dict:
    return {"id": code, "team": "责任规划师团队", "start_date": "2021-06-01", "term_years": 3,
            "annual_fee_fen": 12_000_000, "deduction_rule": "max", **overrides}


def refused(response, status: int, rule: str | None, field: str) -> None:
    assert response.status_code == status, response.json_body
    body = response.json_body["error"]
    assert (body.get("rule"), body["field"]) == (rule, field)
    assert body["message"].startswith(f"{field}：")


@pytest.mark.parametrize(
    "override, rule, field",
    [
        ({"term_years": 0}, "R-CON-1", "term_years"),
        ({"annual_fee_fen": -100}, "R-CON-1", "annual_fee_fen"),
        ({"deduction_rule": "min"}, "R-FEE-1", "deduction_rule"),
        ({"service_year_basis": "fiscal"}, "R-VIS-4", "service_year_basis"),
        ({"pass_mark": 101}, "R-EVA-1", "pass_mark"),
        ({"evaluation_weights": {"a": -1}}, "R-EVA-1", "evaluation_weights"),
    ],
)
def test_contract_terms_outside_the_rules_are_422_and_store_nothing(api, runtime, unique, override, rule, field):
    # R-CON-1 (term, fee), R-FEE-1 (deduction rule max/sum), R-VIS-4, R-EVA-1
    before = runtime.app("contracts").last_position()
    refused(api.post(f"{API}/contracts", contract_body(f"c-{unique}", **override)), 422, rule, field)
    assert runtime.app("contracts").last_position() == before
    assert api.get(f"{API}/contracts/c-{unique}").status_code == 404


def test_a_term_given_as_text_is_a_schema_error(api, unique):
    # R-SEC-3: wrong types are 400 naming the field
    response = api.post(f"{API}/contracts", contract_body(f"c-{unique}", term_years="3"))
    assert response.status_code == 400 and response.json_body["error"]["field"] == "term_years"


def test_signing_uses_the_defaults_and_derives_the_end_date(api, runtime, unique):
    # R-CON-1: default term 3 years, rule max; end = start + term − 1 day (R-CON-2)
    body = {"id": f"c-{unique}", "team": "团队", "start_date": "2021-06-01", "annual_fee_fen": 6_000_000}
    response = api.post(f"{API}/contracts", body)
    assert response.status_code == 201, response.json_body
    shown = api.get(f"{API}/contracts/c-{unique}").json_body
    assert (shown["term_years"], shown["end_date"], shown["deduction_rule"], shown["pass_mark"]) == (
        3, "2024-05-31", "max", 60)
    assert [y["year"] for y in shown["service_years"]] == [2021, 2022, 2023]
    [envelope] = runtime.app("contracts").envelopes(after=0, limit=10)
    assert envelope["type"].endswith(".ContractSigned.v1")
    assert envelope["data"]["id"] == f"c-{unique}" and envelope["data"]["end_date"] == "2024-05-31"


def test_a_score_of_101_is_refused(api, runtime, unique):
    # R-EVA-1: scores are 0..100
    api.post(f"{API}/contracts", contract_body(f"c-{unique}"))
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/contracts/c-{unique}/evaluations",
                        {"date": "2024-05-20", "scores": {"service_time": 101, "recommendations": 80}})
    refused(response, 422, "R-EVA-1", "scores.service_time")
    assert runtime.app("contracts").last_position() == before


def test_renewal_without_a_passing_team_evaluation_is_refused(api, runtime, unique):
    # R-CON-2
    code = f"c-{unique}"
    api.post(f"{API}/contracts", contract_body(code))
    refused(api.post(f"{API}/contracts/{code}/renewals", {"date": "2024-05-31"}), 422, "R-CON-2", "id")
    failed = api.post(f"{API}/contracts/{code}/evaluations",
                      {"date": "2024-05-20", "scores": {"service_time": 50, "recommendations": 60}})
    assert failed.status_code == 201 and failed.json_body["total"] == "55.00" and failed.json_body["passed"] is False
    before = runtime.app("contracts").last_position()
    refused(api.post(f"{API}/contracts/{code}/renewals", {"date": "2024-05-31"}), 422, "R-CON-2", "id")
    assert runtime.app("contracts").last_position() == before
    passed = api.post(f"{API}/contracts/{code}/evaluations",
                      {"date": "2024-05-25", "scores": {"service_time": 90, "recommendations": 80}})
    assert passed.json_body["passed"] is True
    renewed = api.post(f"{API}/contracts/{code}/renewals", {"date": "2024-05-31"})
    assert renewed.status_code == 201, renewed.json_body
    assert (renewed.json_body["end_date"], renewed.json_body["term"]) == ("2027-05-31", 2)
    kinds = [e["type"].split(".")[-2] for e in runtime.app("contracts").envelopes(after=0, limit=100)]
    assert kinds == ["ContractSigned", "TeamEvaluated", "TeamEvaluated", "ContractRenewed"]


def test_a_renewal_in_the_middle_of_a_term_is_refused_naming_the_rule(api, runtime, unique):
    # R-CON-2: the term ends 2024-05-31; a renewal dated more than 90 days before it is refused
    code = f"c-{unique}"
    api.post(f"{API}/contracts", contract_body(code))
    passed = api.post(f"{API}/contracts/{code}/evaluations",
                      {"date": "2023-06-20", "scores": {"service_time": 90, "recommendations": 80}})
    assert passed.json_body["passed"] is True
    before = runtime.app("contracts").last_position()
    refused(api.post(f"{API}/contracts/{code}/renewals", {"date": "2023-06-30"}), 422, "R-CON-2", "date")
    assert runtime.app("contracts").last_position() == before
    assert api.get(f"{API}/contracts/{code}").json_body["term"] == 1


def test_ending_a_contract_twice_is_a_conflict(api, unique):
    # R-CON-1: steps out of order are 409
    code = f"c-{unique}"
    api.post(f"{API}/contracts", contract_body(code))
    ended = api.post(f"{API}/contracts/{code}/end", {"date": "2023-12-31", "reason": "区划调整"})
    assert ended.status_code == 200 and ended.json_body["status"] == "ended"
    assert api.post(f"{API}/contracts/{code}/end", {"date": "2024-01-31"}).status_code == 409
    assert api.post(f"{API}/contracts/{code}/renewals", {}).status_code == 409


def test_evaluation_weights_are_the_contracts(api, unique):
    # R-EVA-1: total = weighted mean with the contract's weights and pass mark
    code = f"c-{unique}"
    api.post(f"{API}/contracts", contract_body(code, evaluation_weights={"service_time": 3, "recommendations": 1},
                                               pass_mark=70))
    result = api.post(f"{API}/contracts/{code}/evaluations",
                      {"date": "2024-05-20", "scores": {"service_time": 60, "recommendations": 100}}).json_body
    assert (result["total"], result["passed"], result["pass_mark"]) == ("70.00", True, 70)
    refused(api.post(f"{API}/contracts/{code}/evaluations", {"date": "2024-05-20", "scores": {"service_time": 60}}),
            422, "R-EVA-1", "scores")


TERMS = {"content": "驻点服务、意见建议、技术咨询", "standards": "每月至少服务一次", "depth": "达到详细规划深度",
         "period": "三年", "hours": "每年不少于30天", "funding": "每组每年6万元", "rights_obligations": "双方权利义务见合同"}


def test_a_contract_carries_the_policys_terms_and_its_signing_date(api, runtime, unique):
    # R-CON-1 (amended): the terms as separate fields and the signing date, on the contract and in its event
    code = f"c-{unique}"
    created = api.post(f"{API}/contracts", contract_body(code, signed_on="2021-05-20", terms=TERMS))
    assert created.status_code == 201, created.json_body
    shown = api.get(f"{API}/contracts/{code}").json_body
    assert shown["signed_on"] == "2021-05-20" and shown["terms"] == TERMS
    api.settle()  # the list reads the directory
    [listed] = [c for c in api.get(f"{API}/contracts").json_body["items"] if c["id"] == code]
    assert listed["signed_on"] == "2021-05-20" and listed["terms"] == TERMS
    [signed] = [e for e in runtime.app("contracts").envelopes(after=0, limit=10_000)
                if e["type"].endswith(".ContractSigned.v1") and e["data"]["id"] == code]
    assert signed["data"]["signed_on"] == "2021-05-20" and signed["data"]["terms"] == TERMS
    # Partial terms: the others are null; no signing date: today.
    other = api.post(f"{API}/contracts", contract_body(f"{code}-b", terms={"funding": "6万元"})).json_body
    assert other["terms"] == {**dict.fromkeys(TERMS), "funding": "6万元"}
    assert other["signed_on"] is not None
    refused(api.post(f"{API}/contracts", contract_body(f"{code}-c", terms={"colour": "红"})), 400, None, "terms.colour")
    refused(api.post(f"{API}/contracts", contract_body(f"{code}-d", signed_on="2999-01-01")), 422, "R-SEC-3",
            "signed_on")


def test_a_contract_signed_before_terms_existed_still_loads(api, runtime, unique):
    # R-CON-1 (amended): events stored before the fields existed carry neither signed_on nor terms
    from services.contracts.domain import Contract, contract_id, term_end
    import datetime as dt

    code = f"old-{unique}"
    start = dt.date(2021, 6, 1)
    old = Contract._create(
        Contract.ContractSigned, id=contract_id(code), id_=code, team="老团队", institution=None,
        start_date=start.isoformat(), term_years=3, end_date=term_end(start, 3).isoformat(), annual_fee_fen=6_000_000,
        deduction_rule="max", service_year_basis="contract", settle_confirmed_only=False, late_after_days=7,
        work_content="驻点服务", evaluation_weights={}, pass_mark=60,
    )
    runtime.app("contracts").save(old)
    shown = api.get(f"{API}/contracts/{code}")
    assert shown.status_code == 200, shown.json_body
    assert shown.json_body["signed_on"] is None
    assert shown.json_body["terms"] == {**dict.fromkeys(TERMS), "content": "驻点服务"}
    api.settle()
    [listed] = [c for c in api.get(f"{API}/contracts").json_body["items"] if c["id"] == code]
    assert listed["signed_on"] is None and listed["terms"] == {**dict.fromkeys(TERMS), "content": "驻点服务"}

"""Reference data of DOMAIN.md R-ORG-2: Liaocheng's ten sub-districts and four default governments.

Codes are ours, names are the policy's. The governments are defaults "to be
confirmed by the bureau" and everything here is editable data afterwards.
The policy assigns no district types (R-ORG-3); the types below are a
first guess from each area's character, to be corrected with
``POST /districts/{code}/types``.
"""

from __future__ import annotations

from services.backbone.domain import Conflict
from services.contracts.application import ContractsApplication

GOVERNMENTS = (
    ("dongchangfu", "东昌府区人民政府", "district_government"),
    ("jingkai", "聊城经济技术开发区管委会", "admin_committee"),
    ("gaoxin", "聊城高新技术产业开发区管委会", "admin_committee"),
    ("dujiaqu", "江北水城旅游度假区管委会", "admin_committee"),
)

# (code, name, government, types)
DISTRICTS = (
    ("gulou", "古楼街道", "dongchangfu", ["historic"]),
    ("liuyuan", "柳园街道", "dongchangfu", ["built"]),
    ("xinqu", "新区街道", "dongchangfu", ["built"]),
    ("jiaming", "嘉明开发区", "dongchangfu", ["new"]),
    ("fenghuang", "凤凰工业园", "dongchangfu", ["new"]),
    ("gaotie", "高铁新区（含侯营镇区）", "dongchangfu", ["new"]),
    ("huxi", "湖西街道", "dujiaqu", ["built"]),
    ("jiangguantun", "蒋官屯街道", "jingkai", ["built", "new"]),
    ("beicheng", "北城街道", "jingkai", ["built", "new"]),
    ("jiuzhou", "九州街道", "gaoxin", ["built"]),
)


def seed_liaocheng(app: ContractsApplication) -> int:
    """Registers what is missing; returns how many governments and districts it created."""
    created = 0
    for code, name, kind in GOVERNMENTS:
        if not app.government_exists(code):
            created += _once(lambda: app.register_government(code=code, name=name, kind=kind))
    for code, name, government, types in DISTRICTS:
        if not app.district_exists(code):
            created += _once(
                lambda: app.register_district(code=code, name=name, types=list(types), government=government)
            )
    return created


def _once(register) -> int:  # type: ignore[no-untyped-def]
    """1 when this call created it; 0 when a concurrent seeder got there first."""
    try:
        register()
    except Conflict:
        return 0
    return 1

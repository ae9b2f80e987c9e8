"""The Responsible Planner System: one package per bounded context, plus the backbone."""

"""The KM plan area: each fiscal year's plan, its activities (KMP steps, CMP elements),
indicators and targets, and the figures kmrepo measures for them (docs/domain.md,
"The KM plan"). Today: the number of accesses to the knowledge base."""

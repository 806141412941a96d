"""The generated model is in step with the catalogue it is generated from."""

from __future__ import annotations

from pagent.policy.catalogue import statements
from pagent.policy.statements import STATEMENT_CLASSES
from tools.gen_statements import TARGET, formatted


def test_statements_module_is_up_to_date():
    """tools/gen_statements.py would write exactly the committed statements.py."""
    assert TARGET.read_text("utf-8") == formatted()


def test_every_statement_has_a_class_with_every_parameter():
    """Each statement of the schema has its dataclass, with a field per parameter."""
    for spec in statements().values():
        cls = STATEMENT_CLASSES[spec.keyword]
        fields = set(cls.__dataclass_fields__)
        assert {p.field for p in spec.params.values()} <= fields, spec.keyword

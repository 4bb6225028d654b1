"""A submitted XForm instance, read safely and mapped onto the answers our records carry.

    read(data)            -> Instance   the form id and version, the device's ids, the XML tree
    answers(form, root)   -> dict       the answers, shaped as the sync API takes them

The XML is parsed with defusedxml: no entity expansion, no external entities or DTD fetches, so
a hostile body cannot exhaust memory or read files. Element names are read without their
namespace (Collect writes none, other clients may), and the tree is walked in the order of the
form's definition, so only questions the form has are read:

- a group's answers sit beside the questions around it (our answers are flat by name);
- a repeat becomes a list with one object per instance element (``jr:template`` ones skipped);
- ``select_multiple`` and ``rank`` values, space-separated in XML, become lists (Collect ranks
  every option, so a rank keeps the first ``top`` of them, the ones the question asks for);
- integers and decimals become numbers; a time ``14:30:00.000+08:00`` becomes ``14:30`` (the
  seconds are kept when they are not zero); other values are kept as text;
- empty elements are unanswered questions and are left out; notes carry nothing, and
  calculations are left out because validation computes them again (the server's value is kept).

A value that does not read as its type (``abc`` for an integer) is passed on as it came, so
validation names it with its path. Errors::

    InstanceError(message)      the body is not a well-formed XForm instance (HTTP 400)
"""

from __future__ import annotations

import re
import uuid as uuidlib
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException
from msgspec import Struct

from forms.model import (
    AnyQuestion,
    Calculate,
    Decimal,
    Form,
    Group,
    Integer,
    Note,
    Rank,
    Repeat,
    SelectMultiple,
    Text,
    Time,
)

TEMPLATE = "{http://openrosa.org/javarosa}template"
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TIME = re.compile(r"^(\d\d:\d\d)(:\d\d)?")


class InstanceError(ValueError):
    """The body is not a well-formed XForm instance; the message says what is wrong."""


class Instance(Struct, frozen=True):
    """What a submission says about itself, and its XML tree."""

    form_id: str
    version: str | None
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    root: Any  # xml.etree.ElementTree.Element


def read(data: bytes) -> Instance:
    """The instance in ``data``; InstanceError saying why when it is not one."""
    try:
        root = SafeTree.fromstring(data)
    except DefusedXmlException as err:
        raise InstanceError(f"the submission uses XML features that are refused: {err}") from None
    except ParseError as err:
        raise InstanceError(f"the submission is not well-formed XML: {err}") from None
    form_id = root.get("id", "").strip()
    if not form_id:
        raise InstanceError(f"the submission's root element <{local(root.tag)}> has no id attribute")
    meta = child(root, "meta")
    instance_id = text_of(child(meta, "instanceID")) if meta is not None else ""
    if not instance_id:
        raise InstanceError("the submission has no meta/instanceID")
    return Instance(
        form_id=form_id,
        version=root.get("version"),
        instance_id=instance_id,
        deprecated_id=text_of(child(meta, "deprecatedID")) or None,
        instance_name=text_of(child(meta, "instanceName")) or None,
        root=root,
    )


def record_uuid(instance_id: str) -> str:
    """Our record UUID for a device's instance id: ``uuid:…`` as it is, anything else name-based.

    Collect and Enketo send ``uuid:`` and a UUID; an id in another form is mapped through UUID5,
    so the same id always names the same record and a resend is still recognised.
    """
    try:
        return str(uuidlib.UUID(instance_id.removeprefix("uuid:")))
    except ValueError:
        return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"openrosa:{instance_id}"))


def answers(form: Form, root: Element) -> dict[str, Any]:
    """The instance's answers to ``form``'s questions, in the shape :func:`sync.accept` takes."""
    out: dict[str, Any] = {}
    _fill(form.questions, root, out)
    return out


def _fill(questions: tuple[AnyQuestion, ...], element: Element, out: dict[str, Any]) -> None:
    found = _children(element)
    for q in questions:
        elements = found.get(q.name, [])
        if isinstance(q, Group):
            if elements:
                _fill(q.questions, elements[0], out)
        elif isinstance(q, Repeat):
            items = []
            for item in elements:
                if item.get(TEMPLATE) is None:
                    items.append({})
                    _fill(q.questions, item, items[-1])
            if items:
                out[q.name] = items
        elif elements and not isinstance(q, Note | Calculate):
            value = _value(q, elements[0].text or "")
            if value is not None:
                out[q.name] = value


def _value(q: AnyQuestion, raw: str) -> Any:
    """One answer as its question's type; None when empty."""
    text = raw.strip()
    if not text:
        return None
    match q:
        case Text():
            return raw
        case Integer() if _INTEGER.match(text):
            return int(text)
        case Decimal() if _DECIMAL.match(text):
            return float(text)
        case SelectMultiple():
            return text.split()
        case Rank():  # Collect ranks every option; the question asks for the first ``top``
            return text.split()[: q.top]
        case Time() if m := _TIME.match(text):
            return m[1] if m[2] in (None, ":00") else m[0]
    return text


def _children(element: Element) -> dict[str, list[Element]]:
    found: dict[str, list[Element]] = {}
    for kid in element:
        found.setdefault(local(kid.tag), []).append(kid)
    return found


def child(element: Element | None, name: str) -> Element | None:
    """The first child of ``element`` called ``name`` (in any namespace)."""
    if element is None:
        return None
    return next((kid for kid in element if local(kid.tag) == name), None)


def text_of(element: Element | None) -> str:
    """An element's text, stripped; empty for no element."""
    return (element.text or "").strip() if element is not None else ""


def local(tag: Any) -> str:
    """A tag without its ``{namespace}`` (comments and processing instructions have none)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""

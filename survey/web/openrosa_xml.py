"""The XML documents OpenRosa clients read: the form list, the manifest, and the response to a post.

Built with ElementTree, which escapes every text, so a form title or an error message can hold
any character. Namespaces and element names are the OpenRosa specification's.
"""

from __future__ import annotations

from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, tostring

from survey.domain.openrosa import Listed

FORM_LIST = "http://openrosa.org/xforms/xformsList"
MANIFEST = "http://openrosa.org/xforms/xformsManifest"
RESPONSE = "http://openrosa.org/http/response"


def download_path(form_id: str, version: str) -> str:
    """Where, under a server URL, a version's XForm is downloaded."""
    return f"/forms/{quote(form_id, safe='')}/{quote(version, safe='')}/form.xml"


def form_list(entries: list[Listed], base: str) -> bytes:
    """``<xforms>``: one ``<xform>`` per entry, its hash the md5 of the bytes its downloadUrl serves."""
    root = Element("xforms", xmlns=FORM_LIST)
    for entry in entries:
        item = SubElement(root, "xform")
        for tag, text in (
            ("formID", entry.form_id),
            ("name", entry.name),
            ("version", entry.version),
            ("hash", f"md5:{entry.xform.md5}"),
            ("downloadUrl", base + download_path(entry.form_id, entry.version)),
        ):
            SubElement(item, tag).text = text
    return _document(root)


def manifest() -> bytes:
    """``<manifest>`` of a form's media files: our forms have none, so it is empty."""
    return _document(Element("manifest", xmlns=MANIFEST))


def response(message: str, nature: str) -> bytes:
    """``<OpenRosaResponse>`` with one message (``submit_success`` or ``error``), which Collect shows."""
    root = Element("OpenRosaResponse", xmlns=RESPONSE)
    SubElement(root, "message", nature=nature).text = message
    return _document(root)


def _document(root: Element) -> bytes:
    return tostring(root, encoding="utf-8", xml_declaration=True)

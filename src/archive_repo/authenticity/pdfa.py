"""PDF/A triage with pikepdf: what a PDF claims (XMP pdfaid) and the facts that most often make the claim
false or the file risky (encryption, JavaScript and actions, unembedded fonts, no PDF/A output intent),
plus whether it is a digitised "two-layer" document (page images + an invisible OCR text layer).

This is not a PDF/A validator (no veraPDF). The input is only read: never saved, never modified.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name, ObjectType

from archive_repo.authenticity.results import PdfFacts

# The layer analysis parses page content; beyond this many pages an evenly spaced sample is analysed
# (PdfFacts.pages_analyzed says how many were).
MAX_LAYER_PAGES = 1000
IMAGE_PAGE_COVERAGE = 0.5  # share of the page area that images must cover for a "scanned" page
INVISIBLE_RENDER_MODE = 3  # neither fill nor stroke: how OCR layers are drawn
CLIP_ONLY_RENDER_MODE = 7  # invisible too, but used for clipping, not OCR
MAX_FORM_DEPTH = 8  # nested form XObjects followed from a page
MAX_FORMS_PER_PAGE = 200
MAX_DIRECT_DEPTH = 32  # nesting of direct objects inside one indirect object
MAX_LOCATIONS = 50  # JavaScript / action locations reported
MAX_FIELDS = 10_000  # AcroForm field-tree nodes visited
MAX_WARNINGS = 5

_FONT_FILE_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
# Font dictionaries that carry (or should carry) a FontDescriptor; Type0 delegates to its descendant
# CIDFont and Type3 draws glyphs with PDF operators, so neither needs a font program.
_DESCRIBED_FONT_SUBTYPES = frozenset({"/Type1", "/MMType1", "/TrueType", "/CIDFontType0", "/CIDFontType2"})
_RISKY_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData"})
_CONTENT_OPERATORS = "q Q cm Do Tr Tf Tj TJ ' \" BI ID EI"
_TEXT_SHOWING = frozenset({"Tj", "TJ", "'", '"'})
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

Matrix = tuple[float, float, float, float, float, float]
ObjGen = tuple[int, int]


def pdf_facts(
    path: Path, display_path: str | None = None, max_layer_pages: int = MAX_LAYER_PAGES
) -> PdfFacts:
    """Triage one PDF. A file that cannot be read comes back as ``PdfFacts(error=...)``, never raises."""
    shown = display_path if display_path is not None else str(path)
    try:
        with pikepdf.open(path) as pdf:
            facts = _facts(pdf, shown, max_layer_pages)
    except pikepdf.PasswordError:
        return PdfFacts(path=shown, encrypted=True, error="encrypted: a password is needed to open it")
    except Exception as exc:  # noqa: BLE001 - qpdf raises many kinds for hostile files; none may escape
        message = f"{type(exc).__name__}: {exc}".replace(str(path), shown)
        return PdfFacts(path=shown, error=message[:500])
    # qpdf names the file in its messages: use the caller's name for it (package-relative), not ours
    return replace(facts, warnings=tuple(w.replace(str(path), shown) for w in facts.warnings))


def _facts(pdf: pikepdf.Pdf, shown: str, max_layer_pages: int) -> PdfFacts:
    root = pdf.Root
    pages = pdf.pages
    scan = _scan_objects(pdf)
    layers = _analyze_layers(pages, max_layer_pages)
    unembedded = sorted(
        {name for objgen, name in scan.unembedded_fonts if objgen not in layers.invisible_only_fonts}
    )
    return PdfFacts(
        path=shown,
        pdfa_claim=_pdfa_claim(pdf),
        encrypted=pdf.is_encrypted,
        javascript=tuple(dict.fromkeys(_catalog_actions(root) + scan.actions))[:MAX_LOCATIONS],
        unembedded_fonts=tuple(unembedded),
        output_intent=_has_pdfa_output_intent(root),
        pages=len(pages),
        image_pages=layers.image_pages,
        invisible_text_pages=layers.invisible_text_pages,
        visible_text_pages=layers.visible_text_pages,
        signature_fields=_count_signature_fields(root),
        pages_analyzed=layers.pages_analyzed,
        warnings=tuple([str(w) for w in pdf.get_warnings()] + layers.warnings)[:MAX_WARNINGS],
    )


# --------------------------------------------------------------------------------------------------
# Catalog-level facts
# --------------------------------------------------------------------------------------------------


def _pdfa_claim(pdf: pikepdf.Pdf) -> str | None:
    """``2B`` from XMP pdfaid:part + pdfaid:conformance; None when nothing is claimed or XMP is unreadable."""
    if "/Metadata" not in pdf.Root:
        return None
    try:
        status = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False).pdfa_status
    except Exception:  # noqa: BLE001 - broken XMP is "no readable claim", not a broken PDF
        return None
    return status.upper() or None


def _has_pdfa_output_intent(root: pikepdf.Object) -> bool:
    intents = root.get("/OutputIntents")
    if not isinstance(intents, pikepdf.Array):
        return False
    for intent in intents:
        if not isinstance(intent, Dictionary) or intent.get("/S") != Name.GTS_PDFA1:
            continue
        if isinstance(intent.get("/DestOutputProfile"), pikepdf.Stream):
            return True
    return False


def _catalog_actions(root: pikepdf.Object) -> list[str]:
    """Where the document runs a script by itself: on opening, or from the Names tree. (Document events,
    /Root/AA, are reported by the object walk like every other /AA.)"""
    found = []
    open_action = root.get("/OpenAction")
    if isinstance(open_action, Dictionary) and _runs_script(open_action):
        found.append("/Root/OpenAction")
    names = root.get("/Names")
    if isinstance(names, Dictionary) and "/JavaScript" in names:
        found.append("/Root/Names/JavaScript")
    return found


def _runs_script(action: pikepdf.Object) -> bool:
    """An action, or one chained after it with /Next, is JavaScript (or another risky action)."""
    pending, seen = [action], set()
    while pending and len(seen) < 100:
        current = pending.pop()
        if not isinstance(current, Dictionary):
            continue
        key = current.objgen if current.is_indirect else id(current)
        if key in seen:
            continue
        seen.add(key)
        if "/JS" in current or current.get("/S") in _RISKY_ACTIONS:
            return True
        following = current.get("/Next")
        if isinstance(following, pikepdf.Array):
            pending.extend(following)
        elif following is not None:
            pending.append(following)
    return False


def _count_signature_fields(root: pikepdf.Object) -> int:
    """Terminal AcroForm fields whose (inherited) field type is /Sig, signed or not."""
    form = root.get("/AcroForm")
    fields = form.get("/Fields") if isinstance(form, Dictionary) else None
    if not isinstance(fields, pikepdf.Array):
        return 0
    count, visited = 0, set()
    pending: list[tuple[pikepdf.Object, pikepdf.Object | None]] = [(f, None) for f in fields]
    while pending and len(visited) < MAX_FIELDS:
        node, inherited_type = pending.pop()
        if not isinstance(node, Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in visited:
                continue
            visited.add(node.objgen)
        field_type = node.get("/FT", inherited_type)
        kids = node.get("/Kids")
        child_fields = (
            [kid for kid in kids if isinstance(kid, Dictionary) and "/T" in kid]
            if isinstance(kids, pikepdf.Array)
            else []
        )
        if child_fields:  # kids without /T are only this field's widgets
            pending.extend((kid, field_type) for kid in child_fields)
        elif field_type == Name.Sig:
            count += 1
    return count


# --------------------------------------------------------------------------------------------------
# One pass over every object: actions anywhere, fonts
# --------------------------------------------------------------------------------------------------


@dataclass
class _ObjectScan:
    actions: list[str] = field(default_factory=list)
    unembedded_fonts: list[tuple[ObjGen | None, str]] = field(default_factory=list)


def _scan_objects(pdf: pikepdf.Pdf) -> _ObjectScan:
    """Every indirect object, and every direct dictionary nested inside one: direct objects cannot form
    cycles and indirect ones are each visited once, so the walk ends and costs one visit per object."""
    labels = {pdf.Root.objgen: "/Root"}
    labels.update({page.obj.objgen: f"page {number}" for number, page in enumerate(pdf.pages, 1)})
    scan = _ObjectScan()
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Object) and obj._type_code in (ObjectType.dictionary, ObjectType.stream):
            where = labels.get(obj.objgen) or f"object {obj.objgen[0]}"
            _visit(obj, where, obj.objgen, scan, 0)
    return scan


def _visit(obj: pikepdf.Object, where: str, objgen: ObjGen | None, scan: _ObjectScan, depth: int) -> None:
    if obj._type_code == ObjectType.array:
        for index, item in enumerate(obj):
            if _is_direct_container(item) and depth < MAX_DIRECT_DEPTH:
                _visit(item, f"{where}[{index}]", None, scan, depth + 1)
        return
    _check_dictionary(obj, where, objgen, scan)
    for key, value in obj.items():
        if _is_direct_container(value) and depth < MAX_DIRECT_DEPTH:
            _visit(value, f"{where}{key}", None, scan, depth + 1)


def _is_direct_container(value: object) -> bool:
    """pikepdf hands scalars over as Python values; only its Objects can be containers."""
    return (
        isinstance(value, pikepdf.Object)
        and value._type_code in (ObjectType.dictionary, ObjectType.array)
        and not value.is_indirect
    )


def _check_dictionary(obj: pikepdf.Object, where: str, objgen: ObjGen | None, scan: _ObjectScan) -> None:
    if len(scan.actions) < MAX_LOCATIONS:
        action = obj.get("/S")
        if action in _RISKY_ACTIONS:
            scan.actions.append(f"{where} /S {action}")
        elif "/JS" in obj:
            scan.actions.append(f"{where} /JS")
        if "/AA" in obj:
            scan.actions.append(f"{where} /AA")
    if obj.get("/Subtype") in _DESCRIBED_FONT_SUBTYPES and "/BaseFont" in obj and not _embedded(obj):
        scan.unembedded_fonts.append((objgen, str(obj.get("/BaseFont"))[1:]))


def _embedded(font: pikepdf.Object) -> bool:
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(key in descriptor for key in _FONT_FILE_KEYS)


# --------------------------------------------------------------------------------------------------
# Layers: images and text in the page content
# --------------------------------------------------------------------------------------------------


@dataclass
class _Layers:
    pages_analyzed: int = 0
    image_pages: int = 0
    invisible_text_pages: int = 0
    visible_text_pages: int = 0
    invisible_only_fonts: set[ObjGen] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _PageContent:
    box: tuple[float, float, float, float]  # the crop box, normalised: x0, y0, x1, y1
    area: float
    image_area: float = 0.0  # share of the page, summed over images (overlaps counted twice)
    invisible_text: bool = False
    visible_text: bool = False
    forms_followed: int = 0
    visible_fonts: set[ObjGen] = field(default_factory=set)
    invisible_fonts: set[ObjGen] = field(default_factory=set)


@dataclass
class _State:
    ctm: Matrix = _IDENTITY
    render_mode: int = 0
    font: frozenset[ObjGen] = frozenset()  # the current font and its descendants, when indirect


def _analyze_layers(pages: pikepdf._core.PageList, limit: int) -> _Layers:
    layers = _Layers()
    visible_fonts: set[ObjGen] = set()
    invisible_fonts: set[ObjGen] = set()
    for number, page in _sample(pages, limit):
        layers.pages_analyzed += 1
        try:
            content = _page_content(page)
        except Exception as exc:  # noqa: BLE001 - one unparsable page must not hide the others
            layers.warnings.append(f"page {number}: content not analysed: {type(exc).__name__}: {exc}"[:300])
            continue
        layers.image_pages += content.image_area >= IMAGE_PAGE_COVERAGE
        layers.invisible_text_pages += content.invisible_text
        layers.visible_text_pages += content.visible_text
        visible_fonts |= content.visible_fonts
        invisible_fonts |= content.invisible_fonts
    # PDF/A exempts fonts used only for invisible text (render mode 3) from embedding.
    layers.invisible_only_fonts = invisible_fonts - visible_fonts
    return layers


def _sample(pages: pikepdf._core.PageList, limit: int) -> Iterator[tuple[int, pikepdf.Page]]:
    """(1-based page number, page): every page, or an evenly spaced sample of ``limit`` pages."""
    total = len(pages)
    indexes = range(total) if total <= limit else (i * total // limit for i in range(limit))
    for index in indexes:
        yield index + 1, pages[index]


def _page_content(page: pikepdf.Page) -> _PageContent:
    box = _normalized_box(page.cropbox)
    content = _PageContent(box, (box[2] - box[0]) * (box[3] - box[1]))
    if content.area <= 0:
        return content
    instructions = pikepdf.parse_content_stream(page, _CONTENT_OPERATORS)
    _run(instructions, _page_resources(page.obj), _State(), content, depth=0, active=frozenset())
    return content


def _run(
    instructions: list,
    resources: pikepdf.Object | None,
    state: _State,
    content: _PageContent,
    depth: int,
    active: frozenset[ObjGen],
) -> None:
    """Follow the graphics state through one content stream (a page's, or a form XObject's)."""
    stack: list[_State] = []
    for instruction in instructions:
        op = str(instruction.operator)  # attribute access: unpacking an instruction costs 10x more
        operands = instruction.operands
        if op in _TEXT_SHOWING:
            _note_text(state, content)
        elif op == "cm":
            matrix = _matrix(operands)
            if matrix is not None:
                state = _State(_multiply(matrix, state.ctm), state.render_mode, state.font)
        elif op == "q":
            stack.append(state)
        elif op == "Q":
            if stack:
                state = stack.pop()
        elif op == "Tr" and operands and isinstance(operands[0], int):
            state = _State(state.ctm, operands[0], state.font)
        elif op == "Tf" and operands:
            state = _State(state.ctm, state.render_mode, _font_ids(resources, operands[0]))
        elif op == "INLINE IMAGE":
            content.image_area += _covered(state.ctm, content)
        elif op == "Do" and operands:
            _draw_xobject(operands[0], resources, state, content, depth, active)


def _note_text(state: _State, content: _PageContent) -> None:
    if state.render_mode == INVISIBLE_RENDER_MODE:
        content.invisible_text = True
        content.invisible_fonts |= state.font
        return
    content.visible_fonts |= state.font  # mode 7 only clips, but PDF/A exempts only mode 3 from embedding
    if state.render_mode != CLIP_ONLY_RENDER_MODE:
        content.visible_text = True


def _draw_xobject(
    name: pikepdf.Object,
    resources: pikepdf.Object | None,
    state: _State,
    content: _PageContent,
    depth: int,
    active: frozenset[ObjGen],
) -> None:
    xobject = _resource(resources, "/XObject", name)
    if not isinstance(xobject, pikepdf.Stream):
        return
    subtype = xobject.get("/Subtype")
    if subtype == Name.Image:
        content.image_area += _covered(state.ctm, content)
        return
    if subtype != Name.Form or depth >= MAX_FORM_DEPTH or content.forms_followed >= MAX_FORMS_PER_PAGE:
        return
    key = xobject.objgen
    if key in active:  # a form that draws itself
        return
    content.forms_followed += 1
    matrix = _matrix(xobject.get("/Matrix"))
    ctm = state.ctm if matrix is None else _multiply(matrix, state.ctm)
    form_resources = xobject.get("/Resources")
    if not isinstance(form_resources, Dictionary):
        form_resources = resources
    instructions = pikepdf.parse_content_stream(xobject, _CONTENT_OPERATORS)
    inner = _State(ctm, state.render_mode, state.font)
    _run(instructions, form_resources, inner, content, depth + 1, active | {key})


def _page_resources(page: pikepdf.Object) -> pikepdf.Object | None:
    """/Resources is inheritable from the page tree."""
    node, hops = page, 0
    while isinstance(node, Dictionary) and hops < 64:
        resources = node.get("/Resources")
        if isinstance(resources, Dictionary):
            return resources
        node, hops = node.get("/Parent"), hops + 1
    return None


def _resource(resources: pikepdf.Object | None, category: str, name: pikepdf.Object) -> pikepdf.Object | None:
    if not isinstance(resources, Dictionary) or not isinstance(name, Name):
        return None
    group = resources.get(category)
    return group.get(name) if isinstance(group, Dictionary) else None


def _font_ids(resources: pikepdf.Object | None, name: pikepdf.Object) -> frozenset[ObjGen]:
    """The font object's id and its descendant CIDFonts' (a Type0 font draws with those)."""
    font = _resource(resources, "/Font", name)
    if not isinstance(font, Dictionary):
        return frozenset()
    ids = {font.objgen} if font.is_indirect else set()
    descendants = font.get("/DescendantFonts")
    if isinstance(descendants, pikepdf.Array):
        ids |= {d.objgen for d in descendants if isinstance(d, Dictionary) and d.is_indirect}
    return frozenset(ids)


def _matrix(values: object) -> Matrix | None:
    """Six numbers, or None for anything else (a malformed operator is ignored, not fatal)."""
    try:
        a, b, c, d, e, f = (float(v) for v in values)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return (a, b, c, d, e, f)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m × n in PDF's row-vector convention (``cm`` sets CTM' = M × CTM)."""
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )


def _covered(ctm: Matrix, page: _PageContent) -> float:
    """Share of the page covered by the bounding box of the unit square (an image) under ``ctm``."""
    a, b, c, d, e, f = ctm
    box = page.box
    xs = (e, a + e, c + e, a + c + e)
    ys = (f, b + f, d + f, b + d + f)
    width = min(max(xs), box[2]) - max(min(xs), box[0])
    height = min(max(ys), box[3]) - max(min(ys), box[1])
    if width <= 0 or height <= 0:
        return 0.0
    return width * height / page.area


def _normalized_box(box: pikepdf.Object) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

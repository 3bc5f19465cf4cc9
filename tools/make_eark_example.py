"""Write a small plain E-ARK CSIP / E-ARK SIP package (no TT05 records): examples/submissions/eark-csip-sip/.

The METS files are written by hand here, not with archive-repo's own METS writer, so that the package is
an independent witness that the validator accepts E-ARK packages from other systems. Deterministic:
fixed identifiers and dates, so running it again gives identical bytes.

    python tools/make_eark_example.py [TARGET_FOLDER]
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path
from xml.sax.saxutils import escape

OUT = Path(__file__).resolve().parents[1] / "examples" / "submissions" / "eark-csip-sip"

OBJID = "uuid-3F2504E0-4F89-41D3-9A0C-0305E82C3301"
CREATED = "2025-04-01T10:00:00.000+07:00"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
REP = "rep-1"

_NAMESPACES = (
    'xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" '
    'xmlns:sip="https://DILCIS.eu/XML/METS/SIPExtensionMETS"'
)

DC = """<?xml version="1.0" encoding="UTF-8"?>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:identifier>{objid}</dc:identifier>
  <dc:title>Biên bản họp giao ban tháng 3 năm 2025</dc:title>
  <dc:creator>Văn phòng Sở Nội vụ tỉnh Hà Giang</dc:creator>
  <dc:date>2025-03-28</dc:date>
  <dc:language>vi</dc:language>
  <dc:type>Text</dc:type>
</oai_dc:dc>
"""

TEXT = """BIÊN BẢN HỌP GIAO BAN THÁNG 3 NĂM 2025

Thời gian: 08 giờ 00, ngày 28 tháng 3 năm 2025.
Địa điểm: Phòng họp tầng 2, Sở Nội vụ tỉnh Hà Giang.
Nội dung: đánh giá kết quả công tác tháng 3, triển khai nhiệm vụ tháng 4 năm 2025.
"""


def _uuid(number: int) -> str:
    return f"uuid-3F2504E0-4F89-41D3-9A0C-{number:012X}"


def _fixity(path: Path) -> str:
    data = path.read_bytes()
    return (
        f'SIZE="{len(data)}" CREATED="{CREATED}" CHECKSUMTYPE="SHA-256" '
        f'CHECKSUM="{hashlib.sha256(data).hexdigest().upper()}"'
    )


def _mets_start(objid: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<mets:mets {_NAMESPACES}\n"
        f'    OBJID="{objid}" LABEL="Biên bản họp giao ban" TYPE="Textual"\n'
        '    csip:CONTENTINFORMATIONTYPE="OTHER" csip:OTHERCONTENTINFORMATIONTYPE="Plain text"\n'
        f'    PROFILE="{SIP_PROFILE}">\n'
    )


def _header(agent_name: str) -> str:
    return f"""  <mets:metsHdr CREATEDATE="{CREATED}" LASTMODDATE="{CREATED}" RECORDSTATUS="NEW"
      csip:OAISPACKAGETYPE="SIP">
    <mets:agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE">
      <mets:name>{escape(agent_name)}</mets:name>
      <mets:note csip:NOTETYPE="SOFTWARE VERSION">1.0</mets:note>
    </mets:agent>
    <mets:agent ROLE="CREATOR" TYPE="ORGANIZATION">
      <mets:name>Văn phòng Sở Nội vụ tỉnh Hà Giang</mets:name>
    </mets:agent>
  </mets:metsHdr>
"""


def _representation_mets(rep_folder: Path) -> str:
    data_file = rep_folder / "data" / "file.txt"
    return f"""{_mets_start(REP)}{_header("make_eark_example.py")}  <mets:fileSec ID="{_uuid(0x101)}">
    <mets:fileGrp ID="{_uuid(0x102)}" USE="Data">
      <mets:file ID="ID-3F2504E0-4F89-41D3-9A0C-000000000103" MIMETYPE="text/plain"
          {_fixity(data_file)}>
        <mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href="data/file.txt"/>
      </mets:file>
    </mets:fileGrp>
  </mets:fileSec>
  <mets:structMap ID="{_uuid(0x104)}" TYPE="PHYSICAL" LABEL="CSIP">
    <mets:div ID="{_uuid(0x105)}" LABEL="{REP}">
      <mets:div ID="{_uuid(0x106)}" LABEL="Data">
        <mets:fptr FILEID="ID-3F2504E0-4F89-41D3-9A0C-000000000103"/>
      </mets:div>
    </mets:div>
  </mets:structMap>
</mets:mets>
"""


def _root_mets(root: Path) -> str:
    dc = root / "metadata" / "descriptive" / "dc.xml"
    rep_mets = root / "representations" / REP / "METS.xml"
    return f"""{_mets_start(OBJID)}{_header("make_eark_example.py")}  <mets:dmdSec ID="{_uuid(0x201)}"
      CREATED="{CREATED}">
    <mets:mdRef LOCTYPE="URL" MDTYPE="DC" MDTYPEVERSION="1.1" xlink:type="simple"
        xlink:href="metadata/descriptive/dc.xml" MIMETYPE="text/xml"
        {_fixity(dc)}/>
  </mets:dmdSec>
  <mets:fileSec ID="{_uuid(0x202)}">
    <mets:fileGrp ID="{_uuid(0x203)}" USE="Representations/{REP}">
      <mets:file ID="ID-3F2504E0-4F89-41D3-9A0C-000000000204" MIMETYPE="application/xml"
          {_fixity(rep_mets)}>
        <mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href="representations/{REP}/METS.xml"/>
      </mets:file>
    </mets:fileGrp>
  </mets:fileSec>
  <mets:structMap ID="{_uuid(0x205)}" TYPE="PHYSICAL" LABEL="CSIP">
    <mets:div ID="{_uuid(0x206)}" LABEL="{OBJID}">
      <mets:div ID="{_uuid(0x207)}" LABEL="Metadata" DMDID="{_uuid(0x201)}"/>
      <mets:div ID="{_uuid(0x208)}" LABEL="Representations/{REP}">
        <mets:mptr LOCTYPE="URL" xlink:type="simple" xlink:href="representations/{REP}/METS.xml"/>
        <mets:fptr FILEID="ID-3F2504E0-4F89-41D3-9A0C-000000000204"/>
      </mets:div>
    </mets:div>
  </mets:structMap>
</mets:mets>
"""


def write_package(target: Path) -> Path:
    """Write the package into ``target`` (created; must not exist yet) and return it."""
    target.mkdir(parents=True)
    rep_folder = target / "representations" / REP
    (rep_folder / "data").mkdir(parents=True)
    (rep_folder / "data" / "file.txt").write_bytes(TEXT.encode("utf-8"))
    (rep_folder / "METS.xml").write_bytes(_representation_mets(rep_folder).encode("utf-8"))
    descriptive = target / "metadata" / "descriptive"
    descriptive.mkdir(parents=True)
    (descriptive / "dc.xml").write_bytes(DC.format(objid=OBJID).encode("utf-8"))
    (target / "METS.xml").write_bytes(_root_mets(target).encode("utf-8"))
    return target


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else OUT
    if target.exists():
        shutil.rmtree(target)
    write_package(target)
    print(f"E-ARK example written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The ``signatures`` scenario: offline PDF signature validation time per signature, per PAdES level.

    python benchmarks/signatures_scenario.py --repeats 7        # standalone: prints the Markdown table

PDFs are signed for the run with the throwaway test PKI (``tests/pki.py``: RSA-2048, in-process TSA, no
network), one per case: B-B, B-T, B-LT, B-LTA (signature plus document timestamp), a person + organisation
pair (B-B then B-T) and a B-B signature over a 10 MiB PDF (the digest over the signed bytes). Each file
is validated once to warm up, then ``repeats`` times with ``validate_pdf_signatures`` against a trust
folder holding the test root, intermediate and CRLs; best and median wall time are reported per file and
per signature (document timestamps count as signatures: they are validated too). The run fails unless
every signature is TOTAL-PASSED, so a fast wrong answer cannot look good.

Goal (issue #4): at most ``GOAL_MS_PER_SIGNATURE`` per signature on the reference machine.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
GOAL_MS_PER_SIGNATURE = 50.0
LARGE_PDF_MIB = 10


@dataclass
class CaseResult:
    name: str
    signatures: int
    file_kib: float
    sign_ms: float  # time to produce the file (all its signatures), once
    best_ms: float
    median_ms: float
    outcomes: list[str]

    @property
    def best_ms_per_signature(self) -> float:
        return self.best_ms / self.signatures

    @property
    def median_ms_per_signature(self) -> float:
        return self.median_ms / self.signatures


def _pki_module():  # noqa: ANN202 - tests/pki.py, imported from the test folder
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import pki

    return pki


def _timed(action) -> float:  # noqa: ANN001 - any zero-argument callable
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _make_cases(folder: Path) -> list[tuple[str, Path, float]]:
    """Sign one PDF per case; returns (name, path, signing ms)."""
    from archive_repo.samples.minimal_pdf import make_pdf

    pki_mod = _pki_module()
    pki = pki_mod.make_pki()
    unsigned = pki_mod.make_unsigned_pdf(
        folder / "unsigned.pdf", text="Quyet dinh ve viec benchmark chu ky so"
    )
    large = folder / "unsigned-large.pdf"
    large.write_bytes(make_pdf(["Van ban lon"], padding_bytes=LARGE_PDF_MIB << 20, seed="signatures-bench"))
    cases: list[tuple[str, Path, float]] = []
    for level in pki_mod.LEVELS:
        target = folder / f"{level}.pdf"
        ms = _timed(
            lambda level=level, target=target: pki_mod.sign_pdf(
                unsigned, target, pki.signer, pki, level=level
            )
        )
        cases.append((level, target, ms))
    two = folder / "person-and-organisation.pdf"
    ms = _timed(lambda: pki_mod.sign_pdf(unsigned, two, pki.signer, pki, level="B-B"))
    ms += _timed(lambda: pki_mod.sign_pdf(two, two, pki.org_signer, pki, level="B-T", field="Signature2"))
    cases.append(("person + organisation (B-B, B-T)", two, ms))
    big = folder / "B-B-large.pdf"
    ms = _timed(lambda: pki_mod.sign_pdf(large, big, pki.signer, pki, level="B-B"))
    cases.append((f"B-B, {LARGE_PDF_MIB} MiB PDF", big, ms))
    pki.write_trust_dir(folder / "trust")
    return cases


def run(workdir: Path, repeats: int) -> dict:
    """Sign the cases in ``workdir/signatures`` and time their validation; raises RuntimeError when a
    signature does not validate as TOTAL-PASSED."""
    from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
    from archive_repo.authenticity.trust import TrustStore

    folder = workdir / "signatures"
    folder.mkdir(parents=True, exist_ok=True)
    cases = _make_cases(folder)
    trust = TrustStore.load(folder / "trust")
    results: list[CaseResult] = []
    for name, path, sign_ms in cases:
        found = validate_pdf_signatures(path, trust)  # warm-up, and the correctness check
        outcomes = [str(s.outcome) for s in found.signatures]
        if found.error or not outcomes or any(o != "TOTAL-PASSED" for o in outcomes):
            details = found.error or [
                (s.kind, str(s.outcome), s.subindication, s.reasons) for s in found.signatures
            ]
            raise RuntimeError(f"{name}: signatures did not validate: {details}")
        times = [
            _timed(lambda path=path: validate_pdf_signatures(path, trust)) for _ in range(max(1, repeats))
        ]
        results.append(
            CaseResult(
                name=name,
                signatures=len(outcomes),
                file_kib=path.stat().st_size / 1024,
                sign_ms=sign_ms,
                best_ms=min(times),
                median_ms=statistics.median(times),
                outcomes=outcomes,
            )
        )
    worst = max(r.best_ms_per_signature for r in results)
    return {
        "scenario": "signatures",
        "repeats": max(1, repeats),
        "goal_ms_per_signature": GOAL_MS_PER_SIGNATURE,
        "worst_best_ms_per_signature": round(worst, 2),
        "goal_met": worst <= GOAL_MS_PER_SIGNATURE,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "versions": _versions(),
        "cases": [
            asdict(r)
            | {
                "best_ms_per_signature": r.best_ms_per_signature,
                "median_ms_per_signature": r.median_ms_per_signature,
            }
            for r in results
        ],
    }


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(
        f"{name} {version(name)}" for name in ("pyHanko", "pyhanko-certvalidator", "cryptography")
    )


def render_markdown(results: dict) -> str:
    verdict = "met" if results["goal_met"] else "**NOT met**"
    lines = [
        "## `signatures`: offline PDF signature validation",
        "",
        f"{results['machine']}; {results['versions']}. Best and median of {results['repeats']} runs of "
        "`validate_pdf_signatures` per file, after one warm-up; document timestamps count as signatures. "
        f"Goal ≤ {results['goal_ms_per_signature']:g} ms per signature: {verdict} "
        f"(worst best {results['worst_best_ms_per_signature']:.1f} ms).",
        "",
        "| Case | Signatures | File KiB | Sign ms | Validate best ms | median ms | Best ms / signature "
        "| Median ms / signature |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in results["cases"]:
        lines.append(
            f"| {case['name']} | {case['signatures']} | {case['file_kib']:.0f} | {case['sign_ms']:.0f} "
            f"| {case['best_ms']:.1f} | {case['median_ms']:.1f} | {case['best_ms_per_signature']:.1f} "
            f"| {case['median_ms_per_signature']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, default=HERE / "work", help="work folder (default: benchmarks/work)"
    )
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    results = run(args.work, args.repeats)
    print(render_markdown(results))
    return 0 if results["goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Where the real camera files are: `shared/corpus/real` beside the repository (as on CI)."""

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"

"""Profile-driven checks of information packages, producing located findings."""

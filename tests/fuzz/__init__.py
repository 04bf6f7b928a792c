"""The fuzz suite (issue 15): see docs/releasing.md, "Fuzzing"."""

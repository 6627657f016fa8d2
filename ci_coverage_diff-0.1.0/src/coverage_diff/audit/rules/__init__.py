"""One module per audit rule: `ID`, `SEVERITY`, `DESCRIPTION` and `check(inventory)`."""

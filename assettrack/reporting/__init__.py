"""The figures a coordinator reports to the funder and to donors, from events only."""

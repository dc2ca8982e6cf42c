"""免证办 verification requests (seed 003 art. 10–15): a window asks the unit that issued a
document to verify it online; the unit verifies (uploads the result, with a voucher) or returns
it with where to send it, within office minutes or hours."""

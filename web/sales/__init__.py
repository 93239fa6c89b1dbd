"""Sales: the product catalogue, order lines, refunds, targets and commission statements."""

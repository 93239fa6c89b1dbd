"""SMS broadcasts: the admin's pages, Kannel's callbacks (delivery reports, replies) and the sender."""

"""Listings, a page at a time: keyset pagination, the page queries of every listing (the home
timeline included), the cards they read and how post cards are rendered."""

"""CPD: yearly requirements per category, self-logged external activities and the summary of
hours earned (from certificates — wired in with certificates — and activities) against them."""
